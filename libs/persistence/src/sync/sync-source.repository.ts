import { Injectable } from '@nestjs/common';
import type { Db } from '../db';
import { PrismaService } from '../prisma.service';
import { asTenantId, type TenantId } from '../tenant-id';

/** What a sync run needs of its source (secrets still sealed). */
export interface SyncSource {
  id: string;
  tenantId: TenantId;
  name: string;
  kind: string;
  config: Record<string, unknown>;
  sealedSecrets: Buffer | null;
  enabled: boolean;
  schedule: string | null;
  cursor: Record<string, unknown> | null;
}

/** A source's schedule, for keeping BullMQ job schedulers equal to the table. */
export interface SourceSchedule {
  tenantId: TenantId;
  sourceId: string;
  schedule: string | null;
  enabled: boolean;
}

interface Row {
  id: string;
  tenant_id: string;
  name: string;
  kind: string;
  config: Record<string, unknown> | null;
  secrets: Uint8Array | null;
  enabled: boolean;
  schedule: string | null;
  cursor: Record<string, unknown> | null;
}

/** Later than any write: "unseen since" this is every live contribution. */
export const END_OF_TIME = new Date('9999-12-31T00:00:00Z');

const NOT_SUSPENDED = `NOT EXISTS (SELECT 1 FROM resources r WHERE r.id = contributions.resource_id AND r.lifecycle_state = 'suspended')`;

/**
 * The sync area's reads and writes on `sources` (schedule, cursor) and on a source's
 * contributions (liveness marks for deletion detection, member resolution). ADR 0503.
 */
@Injectable()
export class SyncSourceRepository {
  constructor(private readonly prisma: PrismaService) {}

  async get(tenantId: TenantId, sourceId: string): Promise<SyncSource | null> {
    const rows = await this.prisma.$queryRawUnsafe<Row[]>(
      `SELECT id, tenant_id, name, kind::text AS kind, config, secrets, enabled, schedule, cursor
       FROM sources WHERE tenant_id = $1::uuid AND id = $2::uuid`,
      tenantId,
      sourceId,
    );
    const r = rows[0];
    if (!r) return null;
    return {
      id: r.id,
      tenantId: asTenantId(r.tenant_id),
      name: r.name,
      kind: r.kind,
      config: r.config ?? {},
      sealedSecrets: r.secrets ? Buffer.from(r.secrets) : null,
      enabled: r.enabled,
      schedule: r.schedule,
      cursor: r.cursor,
    };
  }

  /** Schedules of a tenant's sources (or of every tenant when `tenantId` is null). */
  async schedules(tenantId: TenantId | null): Promise<SourceSchedule[]> {
    const rows = await this.prisma.$queryRawUnsafe<
      Array<{ tenant_id: string; id: string; schedule: string | null; enabled: boolean }>
    >(
      `SELECT tenant_id, id, schedule, enabled FROM sources WHERE ($1::uuid IS NULL OR tenant_id = $1::uuid)`,
      tenantId,
    );
    return rows.map((r) => ({
      tenantId: asTenantId(r.tenant_id),
      sourceId: r.id,
      schedule: r.schedule,
      enabled: r.enabled,
    }));
  }

  async setSchedule(tenantId: TenantId, sourceId: string, schedule: string | null): Promise<boolean> {
    const n = await this.prisma.$executeRawUnsafe(
      `UPDATE sources SET schedule = $3, updated_at = now() WHERE tenant_id = $1::uuid AND id = $2::uuid`,
      tenantId,
      sourceId,
      schedule,
    );
    return n > 0;
  }

  /** Stores the cursor the next delta pull starts from (only a completed run does). */
  async saveCursor(
    tenantId: TenantId,
    sourceId: string,
    cursor: Record<string, unknown> | null,
  ): Promise<void> {
    await this.prisma.$executeRawUnsafe(
      `UPDATE sources SET cursor = $3::jsonb WHERE tenant_id = $1::uuid AND id = $2::uuid`,
      tenantId,
      sourceId,
      cursor === null ? null : JSON.stringify(cursor),
    );
  }

  /**
   * Marks contributions a full pull saw but did not change (changed ones were just written):
   * afterwards, the source's live contributions last written before the run started are exactly
   * the keys the pull did not see. Keys only; nothing is loaded.
   */
  async touchSeen(
    db: Db,
    tenantId: TenantId,
    sourceId: string,
    resourceType: string,
    keys: readonly string[],
    runStartedAt: Date,
  ): Promise<void> {
    if (keys.length === 0) return;
    await db.$executeRawUnsafe(
      `UPDATE contributions SET updated_at = now()
       WHERE tenant_id = $1::uuid AND source_id = $2::uuid AND resource_type = $3 AND source_key = ANY($4::text[])
         AND updated_at < $5::timestamptz`,
      tenantId,
      sourceId,
      resourceType,
      keys,
      runStartedAt,
    );
  }

  /** Live (not deleted) contributions of a source per resource type. */
  async liveCounts(tenantId: TenantId, sourceId: string): Promise<Record<string, number>> {
    const rows = await this.prisma.$queryRawUnsafe<Array<{ resource_type: string; n: number }>>(
      `SELECT resource_type, count(*)::int AS n FROM contributions
       WHERE tenant_id = $1::uuid AND source_id = $2::uuid AND deleted_at IS NULL GROUP BY resource_type`,
      tenantId,
      sourceId,
    );
    return Object.fromEntries(rows.map((r) => [r.resource_type, r.n]));
  }

  /**
   * Per resource type, how many live contributions were not seen since `runStartedAt`. Records
   * already suspended are left out: their lifecycle authority already withdrew them.
   */
  async unseenCounts(
    tenantId: TenantId,
    sourceId: string,
    runStartedAt: Date,
  ): Promise<Record<string, number>> {
    const rows = await this.prisma.$queryRawUnsafe<Array<{ resource_type: string; n: number }>>(
      `SELECT resource_type, count(*)::int AS n FROM contributions
       WHERE tenant_id = $1::uuid AND source_id = $2::uuid AND deleted_at IS NULL AND updated_at < $3::timestamptz
         AND ${NOT_SUSPENDED}
       GROUP BY resource_type`,
      tenantId,
      sourceId,
      runStartedAt,
    );
    return Object.fromEntries(rows.map((r) => [r.resource_type, r.n]));
  }

  /**
   * Live contributions per resource type that still feed a golden record the source's deletion
   * would leave unresolved: all live ones but those on records already suspended (the engine's
   * sweep deletes those when their grace period ends, whatever their contributions).
   */
  async contributing(tenantId: TenantId, sourceId: string): Promise<Record<string, number>> {
    return this.unseenCounts(tenantId, sourceId, END_OF_TIME);
  }

  /**
   * Deletes the source only when it feeds no golden record any more (`contributing` is empty);
   * otherwise returns what it still feeds, per resource type. The check is in the DELETE itself.
   */
  async deleteUnlessContributing(
    tenantId: TenantId,
    sourceId: string,
  ): Promise<{ deleted: true } | { deleted: false; found: boolean; contributing: Record<string, number> }> {
    const n = await this.prisma.$executeRawUnsafe(
      `DELETE FROM sources WHERE tenant_id = $1::uuid AND id = $2::uuid
         AND NOT EXISTS (SELECT 1 FROM contributions WHERE source_id = $2::uuid AND deleted_at IS NULL AND ${NOT_SUSPENDED})`,
      tenantId,
      sourceId,
    );
    if (n > 0) return { deleted: true };
    const found = (await this.get(tenantId, sourceId)) !== null;
    return { deleted: false, found, contributing: found ? await this.contributing(tenantId, sourceId) : {} };
  }

  /** A page of unseen live keys of one type, in key order after `after`. */
  async unseenKeys(
    tenantId: TenantId,
    sourceId: string,
    resourceType: string,
    runStartedAt: Date,
    after: string | null,
    limit: number,
  ): Promise<string[]> {
    const rows = await this.prisma.$queryRawUnsafe<Array<{ source_key: string }>>(
      `SELECT source_key FROM contributions
       WHERE tenant_id = $1::uuid AND source_id = $2::uuid AND resource_type = $3 AND deleted_at IS NULL
         AND updated_at < $4::timestamptz AND ($5::text IS NULL OR source_key > $5) AND ${NOT_SUSPENDED}
       ORDER BY source_key LIMIT $6`,
      tenantId,
      sourceId,
      resourceType,
      runStartedAt,
      after,
      limit,
    );
    return rows.map((r) => r.source_key);
  }

  /**
   * Golden records behind a source's own keys (users and groups), for group members stated as
   * source keys: only live contributions joined to a record resolve.
   */
  async resolveKeys(
    db: Db,
    tenantId: TenantId,
    sourceId: string,
    keys: readonly string[],
  ): Promise<Map<string, { resourceId: string; resourceType: string }>> {
    const out = new Map<string, { resourceId: string; resourceType: string }>();
    if (keys.length === 0) return out;
    const rows = await db.$queryRawUnsafe<
      Array<{ source_key: string; resource_id: string; resource_type: string }>
    >(
      `SELECT source_key, resource_id, resource_type FROM contributions
       WHERE tenant_id = $1::uuid AND source_id = $2::uuid AND source_key = ANY($3::text[])
         AND resource_id IS NOT NULL AND deleted_at IS NULL`,
      tenantId,
      sourceId,
      keys,
    );
    for (const r of rows) out.set(r.source_key, { resourceId: r.resource_id, resourceType: r.resource_type });
    return out;
  }

  /** Resource types of the source's live contributions with these keys (delta deletions carry no type). */
  async liveTypesOf(
    tenantId: TenantId,
    sourceId: string,
    keys: readonly string[],
  ): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (keys.length === 0) return out;
    const rows = await this.prisma.$queryRawUnsafe<Array<{ resource_type: string; source_key: string }>>(
      `SELECT resource_type, source_key FROM contributions
       WHERE tenant_id = $1::uuid AND source_id = $2::uuid AND source_key = ANY($3::text[]) AND deleted_at IS NULL
       ORDER BY resource_type, source_key`,
      tenantId,
      sourceId,
      keys,
    );
    for (const r of rows) {
      const list = out.get(r.resource_type);
      if (list) list.push(r.source_key);
      else out.set(r.resource_type, [r.source_key]);
    }
    return out;
  }
}
