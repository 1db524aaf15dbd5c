import { Injectable } from '@nestjs/common';
import { PrismaService } from '../prisma.service';
import type { TenantId } from '../tenant-id';

const MAX_CACHED = 10_000;

/**
 * Which source a SCIM write is attributed to. A client bound to a source writes as it; a client
 * without one gets an implicit inbound source of its own, `scim-client:<client id>`, created on
 * its first write (ADR 0301). `/Me` writes are the tenant's `self-service` source.
 */
@Injectable()
export class InboundSourceRepository {
  private readonly cache = new Map<string, string>();

  constructor(private readonly prisma: PrismaService) {}

  static implicitName(clientId: string): string {
    return `scim-client:${clientId}`;
  }

  /** The source for writes (created when missing). */
  async forWriter(tenantId: TenantId, clientId: string, boundSourceId: string | null): Promise<string> {
    if (boundSourceId) return boundSourceId;
    return this.ensure(tenantId, InboundSourceRepository.implicitName(clientId), 'scim_inbound');
  }

  /** The source whose externalId a reader sees; null when the client never wrote. */
  async forReader(
    tenantId: TenantId,
    clientId: string,
    boundSourceId: string | null,
  ): Promise<string | null> {
    if (boundSourceId) return boundSourceId;
    return this.find(tenantId, InboundSourceRepository.implicitName(clientId));
  }

  async selfService(tenantId: TenantId): Promise<string> {
    return this.ensure(tenantId, 'self-service', 'self_service');
  }

  private async find(tenantId: TenantId, name: string): Promise<string | null> {
    const key = `${tenantId}/${name}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const row = await this.prisma.source.findFirst({ where: { tenantId, name }, select: { id: true } });
    if (row) this.remember(key, row.id);
    return row?.id ?? null;
  }

  private async ensure(
    tenantId: TenantId,
    name: string,
    kind: 'scim_inbound' | 'self_service',
  ): Promise<string> {
    const found = await this.find(tenantId, name);
    if (found) return found;
    await this.prisma.$executeRawUnsafe(
      `INSERT INTO sources (id, tenant_id, name, kind, roles, config, enabled, created_at, updated_at)
       VALUES (gen_random_uuid(), $1::uuid, $2, $3::source_kind, $4::jsonb, '{}'::jsonb, true, now(), now())
       ON CONFLICT (tenant_id, name) DO NOTHING`,
      tenantId,
      name,
      kind,
      JSON.stringify({ '*': { create: kind === 'scim_inbound', update: true } }),
    );
    const row = await this.prisma.source.findFirstOrThrow({
      where: { tenantId, name },
      select: { id: true },
    });
    this.remember(`${tenantId}/${name}`, row.id);
    return row.id;
  }

  private remember(key: string, id: string): void {
    if (this.cache.size >= MAX_CACHED) this.cache.clear();
    this.cache.set(key, id);
  }
}
