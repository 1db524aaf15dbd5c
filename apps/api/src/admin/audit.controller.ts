import { Controller, Get, Query } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { Scope, type Principal } from '@hub/auth';
import { AuditRepository, asTenantId } from '@hub/persistence';
import { CurrentPrincipal, RequireScopes } from '../auth/auth.decorators';

export class AuditQueryDto {
  @IsOptional()
  @Matches(/^\d{1,18}$/, { message: 'after must be an audit sequence number' })
  after?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;

  @IsOptional()
  @IsString()
  resourceId?: string;
}

@RequireScopes(Scope.Admin)
@Controller('admin/v1/audit')
export class AuditController {
  constructor(private readonly audit: AuditRepository) {}

  /** Pages forward through the tenant's audit trail; pass the last `seq` as `after`. */
  @Get()
  async list(@CurrentPrincipal() principal: Principal, @Query() query: AuditQueryDto) {
    const items = await this.audit.list(asTenantId(principal.tenantId), {
      afterSeq: query.after ? BigInt(query.after) : undefined,
      limit: query.limit ?? 100,
      resourceId: query.resourceId,
    });
    return { items, next: items.length ? items[items.length - 1]!.seq : null };
  }

  /** Recomputes the hash chain: `brokenAt` names the first row that was altered or removed. */
  @Get('verify')
  async verify(@CurrentPrincipal() principal: Principal) {
    const brokenAt = await this.audit.verifyChain(asTenantId(principal.tenantId));
    return { intact: brokenAt === null, brokenAt };
  }
}
