import { Controller, Get, NotFoundException } from '@nestjs/common';
import { Scope, type Principal } from '@hub/auth';
import { TenantRepository, asTenantId } from '@hub/persistence';
import { CurrentPrincipal, RequireScopes } from '../auth/auth.decorators';

@Controller('admin/v1/tenant')
export class TenantController {
  constructor(private readonly tenants: TenantRepository) {}

  /** Who am I: the caller's tenant and client. Any valid token may ask. */
  @Get()
  @RequireScopes(...Object.values(Scope))
  async current(@CurrentPrincipal() principal: Principal) {
    const tenant = await this.tenants.get(asTenantId(principal.tenantId));
    if (!tenant) throw new NotFoundException('tenant not found');
    return {
      tenant: {
        id: tenant.id,
        slug: tenant.slug,
        name: tenant.name,
        createdAt: tenant.createdAt.toISOString(),
      },
      client: {
        id: principal.clientId,
        name: principal.clientName,
        scopes: principal.scopes,
        sourceId: principal.sourceId,
      },
    };
  }
}
