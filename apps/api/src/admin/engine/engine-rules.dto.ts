import { Type } from 'class-transformer';
import {
  IsArray,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  Min,
  ValidateIf,
} from 'class-validator';
import { ApiPropertyOptional } from '@nestjs/swagger';

/**
 * A resource type's engine configuration. The parts are checked by the engine against the
 * tenant's schema registry and sources (400 with `details` naming each issue exactly, e.g.
 * `authority.rules[2].path`); here only their shape. Parts left out keep their stored value.
 */
export class EngineRulesDto {
  @ApiPropertyOptional({
    description: '{ rules: [{path, policy, sources}], defaultRule: {policy, sources}, transforms: [...] }',
  })
  @IsOptional()
  @IsObject()
  authority?: Record<string, unknown>;

  @ApiPropertyOptional({
    description: 'Ordered match rules: {kind:"link"} or {kind:"attribute", path, normalise?}',
  })
  @IsOptional()
  @IsArray()
  correlation?: unknown[];

  @ApiPropertyOptional({
    description: '{ authorities: [sourceId], graceMs, deleteDisabled? } or null',
    nullable: true,
  })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsObject()
  lifecycle?: Record<string, unknown> | null;
}

export class PreviewQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 10_000, default: 1_000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(10_000)
  limit?: number;
}

export class ListQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

export class CaseListQueryDto extends ListQueryDto {
  @ApiPropertyOptional({ enum: ['open', 'linked', 'created', 'ignored'] })
  @IsOptional()
  @IsIn(['open', 'linked', 'created', 'ignored'])
  status?: 'open' | 'linked' | 'created' | 'ignored';
}

export class UncorrelatedQueryDto extends ListQueryDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  resourceType?: string;
}

export class ExplanationQueryDto {
  @ApiPropertyOptional({ description: 'Comma-separated attribute paths (unit keys); all when absent' })
  @IsOptional()
  @IsString()
  paths?: string;
}

export class ResolveCaseDto {
  @ApiPropertyOptional({ enum: ['link', 'create', 'ignore'] })
  @IsIn(['link', 'create', 'ignore'])
  action!: 'link' | 'create' | 'ignore';

  @ApiPropertyOptional({ description: 'The golden record to link to (action "link")' })
  @ValidateIf((o: ResolveCaseDto) => o.action === 'link')
  @IsUUID()
  resourceId?: string;
}
