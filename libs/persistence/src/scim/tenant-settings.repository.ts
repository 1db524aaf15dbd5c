import { Injectable } from '@nestjs/common';
import { PrismaService } from '../prisma.service';
import type { TenantId } from '../tenant-id';

/** Reads and writes the tenant's runtime settings (JSON, changed by admins, not env). */
@Injectable()
export class TenantSettingsRepository {
  constructor(private readonly prisma: PrismaService) {}

  async get(tenantId: TenantId): Promise<Record<string, unknown>> {
    const row = await this.prisma.tenant.findUnique({ where: { id: tenantId }, select: { settings: true } });
    const settings = row?.settings;
    return settings && typeof settings === 'object' && !Array.isArray(settings)
      ? (settings as Record<string, unknown>)
      : {};
  }

  /** Replaces one top-level key (e.g. `scim`), leaving the others as they are. */
  async setKey(tenantId: TenantId, key: string, value: unknown): Promise<void> {
    await this.prisma.$executeRawUnsafe(
      `UPDATE tenants SET settings = jsonb_set(settings, ARRAY[$2::text], $3::jsonb, true), updated_at = now() WHERE id = $1::uuid`,
      tenantId,
      key,
      JSON.stringify(value),
    );
  }
}
