import { Injectable } from '@nestjs/common';
import { PrismaService } from '../prisma.service';
import type { TenantId } from '../tenant-id';

const MAX_CACHED = 10_000;
/** How long "this client has no implicit source yet" is remembered (read-only clients ask on every request). */
const ABSENT_TTL_MS = 2_000;

/**
 * Which source a SCIM write is attributed to. A client bound to a source writes as it; a client
 * without one gets an implicit inbound source of its own, `scim-client:<client id>`, created on
 * its first write (ADR 0301). `/Me` writes are the tenant's `self-service` source.
 */
@Injectable()
export class InboundSourceRepository {
  private readonly cache = new Map<string, string>();
  /** Names known to have no source, until the time given (a write here clears the entry). */
  private readonly absent = new Map<string, number>();

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

  private async find(tenantId: TenantId, name: string, fresh = false): Promise<string | null> {
    const key = `${tenantId}/${name}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    if (!fresh && (this.absent.get(key) ?? 0) > Date.now()) return null;
    const rows = await this.prisma.rawQuery<{ id: string }>(
      `SELECT id FROM sources WHERE tenant_id = $1::uuid AND name = $2 LIMIT 1`,
      [tenantId, name],
    );
    const id = rows[0]?.id ?? null;
    if (id) this.remember(key, id);
    else {
      if (this.absent.size >= MAX_CACHED) this.absent.clear();
      this.absent.set(key, Date.now() + ABSENT_TTL_MS);
    }
    return id;
  }

  private async ensure(
    tenantId: TenantId,
    name: string,
    kind: 'scim_inbound' | 'self_service',
  ): Promise<string> {
    const found = await this.find(tenantId, name, true);
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
    this.absent.delete(key);
    if (this.cache.size >= MAX_CACHED) this.cache.clear();
    this.cache.set(key, id);
  }
}
