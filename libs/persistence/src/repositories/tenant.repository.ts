import { Injectable } from '@nestjs/common';
import { PrismaService } from '../prisma.service';
import { asTenantId, type TenantId } from '../tenant-id';

export interface Tenant {
  id: TenantId;
  slug: string;
  name: string;
  createdAt: Date;
}

/** Tenants are the one entity looked up without a tenant scope (operator commands, bootstrap). */
@Injectable()
export class TenantRepository {
  constructor(private readonly prisma: PrismaService) {}

  async create(slug: string, name: string): Promise<Tenant> {
    return toTenant(await this.prisma.tenant.create({ data: { slug, name } }));
  }

  async findBySlug(slug: string): Promise<Tenant | null> {
    const row = await this.prisma.tenant.findUnique({ where: { slug } });
    return row && toTenant(row);
  }

  async get(tenantId: TenantId): Promise<Tenant | null> {
    const row = await this.prisma.tenant.findUnique({ where: { id: tenantId } });
    return row && toTenant(row);
  }
}

function toTenant(row: { id: string; slug: string; name: string; createdAt: Date }): Tenant {
  return { id: asTenantId(row.id), slug: row.slug, name: row.name, createdAt: row.createdAt };
}
