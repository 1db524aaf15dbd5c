import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Length, Matches, Max, Min } from 'class-validator';

/** `GET /admin/v1/provisioning-log`: search by user, resource and/or target; newest first. */
export class ProvisioningLogQueryDto {
  @ApiPropertyOptional({ description: 'Hub resource id' })
  @IsOptional()
  @IsUUID()
  resourceId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID()
  targetId?: string;

  @ApiPropertyOptional({
    description: 'userName (or a group displayName) as it was pushed; prefix, any case',
  })
  @IsOptional()
  @IsString()
  @Length(1, 256)
  userName?: string;

  @ApiPropertyOptional({ enum: ['ok', 'failed', 'retry', 'held', 'skipped'] })
  @IsOptional()
  @IsIn(['ok', 'failed', 'retry', 'held', 'skipped'])
  outcome?: string;

  @ApiPropertyOptional({ description: 'Keyset paging: the `next` of the previous page' })
  @IsOptional()
  @Matches(/^\d{1,19}$/, { message: 'before must be an entry id' })
  before?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}
