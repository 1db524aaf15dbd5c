import type { PrismaService } from './prisma.service';
import { ApiClientRepository } from './repositories/api-client.repository';
import { AuditRepository } from './repositories/audit.repository';
import { TenantRepository } from './repositories/tenant.repository';

export interface TenantBootstrapRepositories {
  tenants: TenantRepository;
  clients: ApiClientRepository;
  audit: AuditRepository;
}

/** What provisioning a tenant needs, outside Nest (operator CLI, embedded mode, tests, benchmarks). */
export function tenantBootstrapRepositories(prisma: PrismaService): TenantBootstrapRepositories {
  return {
    tenants: new TenantRepository(prisma),
    clients: new ApiClientRepository(prisma),
    audit: new AuditRepository(prisma),
  };
}
