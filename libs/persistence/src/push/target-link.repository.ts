import { Injectable } from '@nestjs/common';
import { Coalescer } from '../coalescer';
import { PrismaService } from '../prisma.service';
import { asTenantId, type TenantId } from '../tenant-id';

/** `confirmed`: a held deprovisioning an admin confirmed (passes the deletion threshold once). */
export type LinkStatus =
  'pending' | 'synced' | 'failed' | 'out_of_scope' | 'deprovisioned' | 'held' | 'confirmed';

/** What the hub knows about one golden record at one target. */
export interface TargetLinkRecord {
  tenantId: TenantId;
  targetId: string;
  resourceId: string;
  resourceType: string;
  remoteId: string | null;
  /** The target representation last acknowledged (base of the next minimal PATCH). */
  pushedState: Record<string, unknown> | null;
  pushedHash: string | null;
  pushedVersion: number | null;
  desiredVersion: number;
  status: LinkStatus;
  lastError: string | null;
  attempts: number;
  lastPushedAt: Date | null;
  updatedAt: Date;
}

/** The outcome of one push step, written in one statement. */
export interface LinkOutcome {
  remoteId: string | null;
  pushedState: Record<string, unknown> | null;
  pushedHash: string | null;
  /**
   * The representation stamp (`representationStamp`) under which `pushedState` is the record's
   * representation; null when it is not known to be (ADR 0702).
   */
  pushedStamp: string | null;
  pushedVersion: number | null;
  /** The link's `pushed_version` when the push read it (the compare-and-set's expectation). */
  pushedVersionRead: number | null;
  status: LinkStatus;
  lastError?: string | null;
}

interface Bump {
  tenantId: TenantId;
  targetIds: readonly string[];
  resourceId: string;
  resourceType: string;
  version: number;
}

@Injectable()
export class TargetLinkRepository {
  private readonly bumps = new Coalescer<Bump, void>((bumps) => this.bumpAll(bumps), { maxBatch: 200 });

  constructor(private readonly prisma: PrismaService) {}

  /**
   * The fan-out: for each target, the link exists and wants at least `version`. A failed link
   * gets another go (a new change); a held one stays held for the admin. Rows are locked in
   * (target, resource) order, as `closeGaps` locks them, so the two never deadlock. Fan-outs made
   * at once share one statement (`Coalescer`, ADR 0603).
   */
  async bumpDesired(
    tenantId: TenantId,
    targetIds: readonly string[],
    resourceId: string,
    resourceType: string,
    version: number,
  ): Promise<void> {
    if (!targetIds.length) return;
    await this.bumps.run({ tenantId, targetIds, resourceId, resourceType, version });
  }

  private async bumpAll(bumps: readonly Bump[]): Promise<void[]> {
    // One row per link (a statement may not update a row twice), at the highest version asked.
    const rows = new Map<
      string,
      { tenantId: string; targetId: string; resourceId: string; type: string; version: number }
    >();
    for (const b of bumps)
      for (const targetId of b.targetIds) {
        const key = `${targetId}|${b.resourceId}`;
        const seen = rows.get(key);
        if (!seen || seen.version < b.version)
          rows.set(key, {
            tenantId: b.tenantId,
            targetId,
            resourceId: b.resourceId,
            type: b.resourceType,
            version: b.version,
          });
      }
    const list = [...rows.values()];
    await this.prisma.rawQuery(
      `INSERT INTO target_links (id, tenant_id, target_id, resource_id, resource_type, desired_version, status, updated_at)
       SELECT gen_random_uuid(), b.tenant_id, b.target_id, b.resource_id, b.resource_type, b.version, 'pending', now()
       FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::int[])
         AS b(tenant_id, target_id, resource_id, resource_type, version)
       ORDER BY b.target_id, b.resource_id
       ON CONFLICT (target_id, resource_id) DO UPDATE SET
         desired_version = GREATEST(target_links.desired_version, EXCLUDED.desired_version),
         status = CASE WHEN target_links.status = 'failed' THEN 'pending' ELSE target_links.status END,
         attempts = CASE WHEN target_links.status = 'failed' THEN 0 ELSE target_links.attempts END,
         updated_at = now()`,
      [
        list.map((r) => r.tenantId),
        list.map((r) => r.targetId),
        list.map((r) => r.resourceId),
        list.map((r) => r.type),
        list.map((r) => r.version),
      ],
      'push_bump_desired',
    );
    return bumps.map(() => undefined);
  }

  // The push step's reads and writes are plain SQL, named statements (ADR 0204: through Prisma's
  // client each cost several times the CPU, and a push step runs them for every object).
  async get(tenantId: TenantId, targetId: string, resourceId: string): Promise<TargetLinkRecord | null> {
    const rows = await this.prisma.rawQuery<LinkRow>(
      `SELECT ${LINK_COLUMNS} FROM target_links
       WHERE tenant_id = $1::uuid AND target_id = $2::uuid AND resource_id = $3::uuid`,
      [tenantId, targetId, resourceId],
      'push_link_get',
    );
    return rows[0] ? linkFromRow(rows[0]) : null;
  }

  /**
   * Whether the link wants another push (a fan-out or a mark since the push read it). A push
   * checks it last: a change during the step is only seen here (BullMQ drops the add of a job id
   * that is running).
   */
  async wantsPush(tenantId: TenantId, targetId: string, resourceId: string): Promise<boolean> {
    const rows = await this.prisma.rawQuery<{ dirty: boolean }>(
      `SELECT pushed_version IS DISTINCT FROM desired_version AS dirty FROM target_links
       WHERE tenant_id = $1::uuid AND target_id = $2::uuid AND resource_id = $3::uuid`,
      [tenantId, targetId, resourceId],
      'push_link_wants_push',
    );
    return rows[0]?.dirty ?? false;
  }

  /**
   * Records a push: remote id, what was pushed and at which golden version; clears the error.
   * The version is compare-and-set on the `pushed_version` the push read: a mark made meanwhile
   * (`markDirty`) lowered it, and it stays lowered so the link wants another push.
   */
  async recordOutcome(
    tenantId: TenantId,
    targetId: string,
    resourceId: string,
    outcome: LinkOutcome,
  ): Promise<void> {
    await this.prisma.rawQuery(
      `UPDATE target_links SET remote_id = $4, pushed_state = $5::json, pushed_hash = $6, pushed_stamp = $11,
         pushed_version = CASE WHEN pushed_version IS NOT DISTINCT FROM $10::int THEN $7 ELSE pushed_version END,
         status = $8, last_error = $9, attempts = 0, last_pushed_at = now(), updated_at = now()
       WHERE tenant_id = $1::uuid AND target_id = $2::uuid AND resource_id = $3::uuid`,
      [
        tenantId,
        targetId,
        resourceId,
        outcome.remoteId,
        outcome.pushedState === null ? null : JSON.stringify(outcome.pushedState),
        outcome.pushedHash,
        outcome.pushedVersion,
        outcome.status,
        outcome.lastError ?? null,
        outcome.pushedVersionRead,
        outcome.pushedStamp,
      ],
      'push_link_record_outcome',
    );
  }

  /** A failed attempt: the link keeps what was last pushed; `status` failed once retries are out. */
  async recordFailure(
    tenantId: TenantId,
    targetId: string,
    resourceId: string,
    failure: { status: 'pending' | 'failed'; lastError: string; attempts: number },
  ): Promise<void> {
    await this.prisma.targetLink.updateMany({
      where: { tenantId, targetId, resourceId },
      data: {
        status: failure.status,
        lastError: failure.lastError.slice(0, 1000),
        attempts: failure.attempts,
      },
    });
  }

  async setStatus(
    tenantId: TenantId,
    targetId: string,
    resourceIds: readonly string[],
    status: LinkStatus,
    lastError?: string | null,
  ): Promise<number> {
    const { count } = await this.prisma.targetLink.updateMany({
      where: { tenantId, targetId, resourceId: { in: [...resourceIds] } },
      data: { status, ...(lastError !== undefined ? { lastError } : {}) },
    });
    return count;
  }

  /** Makes links look dirty (catch-up pushes them again even if their job is lost). */
  async markDirty(tenantId: TenantId, targetId: string, resourceIds: readonly string[]): Promise<void> {
    if (!resourceIds.length) return;
    // Lower what was pushed, never raise what is wanted: `desired_version` counts golden record
    // versions, and a mark raised into that count was later taken for a real version — a push
    // that read the mark recorded it as pushed, and the record's next version (a deletion) then
    // found nothing to raise and was lost. The lowered value differs from every value a running
    // push of the object read, so that push's compare-and-set (`recordOutcome`) leaves it.
    // Rows locked in resource order, as every statement over several links locks them.
    await this.prisma.rawQuery(
      `WITH locked AS (
         SELECT id FROM target_links
         WHERE tenant_id = $1::uuid AND target_id = $2::uuid AND resource_id = ANY($3::uuid[])
           AND status NOT IN ('failed', 'held')
         ORDER BY resource_id FOR UPDATE
       )
       UPDATE target_links l
       SET pushed_version = LEAST(COALESCE(l.pushed_version, l.desired_version), l.desired_version) - 1,
         updated_at = now()
       FROM locked WHERE l.id = locked.id`,
      [tenantId, targetId, resourceIds],
    );
  }

  /**
   * After Redis lost its data (fan-out jobs gone with it): makes the target's links level with the
   * golden records again and returns the resources that need a push: records of `resourceTypes`
   * with no link or a link that wants an older version, and clean, live links whose record is gone
   * (a lost deletion). Idempotent; one anti-join per target, so it runs on a detected loss only.
   * Links are written in resource order: two overlapping catch-ups, or a catch-up and fan-outs,
   * then wait for each other instead of deadlocking (seen under the push benchmark's load).
   */
  async closeGaps(tenantId: TenantId, targetId: string, resourceTypes: readonly string[]): Promise<string[]> {
    const missing = await this.prisma.rawQuery<{ resource_id: string }>(
      `INSERT INTO target_links (id, tenant_id, target_id, resource_id, resource_type, desired_version, status, updated_at)
       SELECT gen_random_uuid(), r.tenant_id, $2::uuid, r.id, r.resource_type, r.version, 'pending', now()
       FROM resources r
       LEFT JOIN target_links l ON l.target_id = $2::uuid AND l.resource_id = r.id
       WHERE r.tenant_id = $1::uuid AND r.resource_type = ANY($3::text[])
         AND (l.id IS NULL OR l.desired_version < r.version)
       ORDER BY r.id
       ON CONFLICT (target_id, resource_id) DO UPDATE SET
         desired_version = GREATEST(target_links.desired_version, EXCLUDED.desired_version),
         status = CASE WHEN target_links.status = 'failed' THEN 'pending' ELSE target_links.status END,
         attempts = CASE WHEN target_links.status = 'failed' THEN 0 ELSE target_links.attempts END,
         updated_at = now()
       RETURNING resource_id`,
      [tenantId, targetId, resourceTypes],
    );
    const gone = await this.prisma.rawQuery<{ resource_id: string }>(
      `UPDATE target_links l SET desired_version = COALESCE(l.pushed_version, l.desired_version) + 1, updated_at = now()
       WHERE l.target_id = $1::uuid AND l.remote_id IS NOT NULL
         AND l.status NOT IN ('deprovisioned', 'out_of_scope', 'failed', 'held')
         AND l.pushed_version IS NOT DISTINCT FROM l.desired_version
         AND NOT EXISTS (SELECT 1 FROM resources r WHERE r.id = l.resource_id)
       RETURNING resource_id`,
      [targetId],
    );
    return [...missing, ...gone].map((r) => r.resource_id);
  }

  /**
   * Fresh planner statistics for the links after a bulk levelling (a new target's every record):
   * until autovacuum gets to them, statements are planned for the table as it was — a
   * reconciliation page's lookup by remote id as a scan of every link of the target.
   */
  async refreshStatistics(): Promise<void> {
    await this.prisma.$executeRawUnsafe('ANALYZE target_links');
  }

  /**
   * Links with work to do (the partial index `target_links_dirty`), keyset by resource id, not
   * failed or held, and not touched in the last `quietMs` (their job is most likely still queued).
   */
  async dirty(
    targetId: string,
    options: { after?: string; limit: number; quietMs?: number },
  ): Promise<Array<{ resourceId: string; resourceType: string }>> {
    return (
      await this.prisma.rawQuery<{ resource_id: string; resource_type: string }>(
        `SELECT resource_id, resource_type FROM target_links
         WHERE target_id = $1::uuid AND pushed_version IS DISTINCT FROM desired_version
           AND status NOT IN ('failed', 'held') AND ($2::uuid IS NULL OR resource_id > $2::uuid)
           AND updated_at <= now() - ($4::int * interval '1 millisecond')
         ORDER BY resource_id LIMIT $3`,
        [targetId, options.after ?? null, options.limit, options.quietMs ?? 0],
      )
    ).map((r) => ({ resourceId: r.resource_id, resourceType: r.resource_type }));
  }

  /**
   * How many of the target's links up to `through` (resource id order) still want a push, counted
   * up to `cap` (a paced backfill's jobs still queued: the partial index `target_links_dirty`).
   */
  async dirtyThrough(targetId: string, through: string, cap: number): Promise<number> {
    const rows = await this.prisma.rawQuery<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT 1 FROM target_links
         WHERE target_id = $1::uuid AND pushed_version IS DISTINCT FROM desired_version
           AND status NOT IN ('failed', 'held') AND resource_id <= $2::uuid LIMIT $3) d`,
      [targetId, through, cap],
    );
    return rows[0]?.n ?? 0;
  }

  /** Links in `status` (failed: parked; held: waiting for the deletion-threshold confirmation). */
  async withStatus(
    tenantId: TenantId,
    targetId: string,
    status: LinkStatus,
    options: { resourceId?: string; limit?: number } = {},
  ): Promise<TargetLinkRecord[]> {
    const rows = await this.prisma.rawQuery<LinkRow>(
      `SELECT ${LINK_COLUMNS} FROM target_links
       WHERE tenant_id = $1::uuid AND target_id = $2::uuid AND status = $3
         AND ($4::uuid IS NULL OR resource_id = $4::uuid)
       ORDER BY resource_id LIMIT $5`,
      [tenantId, targetId, status, options.resourceId ?? null, options.limit ?? 10_000],
    );
    return rows.map(linkFromRow);
  }

  /**
   * Hub id → remote id of resources linked at the target; only those the target should hold
   * (not deprovisioned or out of scope) unless `any`.
   */
  async remoteIds(
    targetId: string,
    resourceIds: readonly string[],
    any = false,
  ): Promise<Map<string, string>> {
    if (!resourceIds.length) return new Map();
    const rows = await this.prisma.rawQuery<{ resource_id: string; remote_id: string }>(
      `SELECT resource_id, remote_id FROM target_links
       WHERE target_id = $1::uuid AND resource_id = ANY($2::uuid[]) AND remote_id IS NOT NULL
         AND ($3::boolean OR status NOT IN ('deprovisioned', 'out_of_scope'))`,
      [targetId, resourceIds, any],
    );
    return new Map(rows.map((r) => [r.resource_id, r.remote_id]));
  }

  /** Accounts the target holds for the hub (the base of the deletion threshold's share). */
  async countLinked(targetId: string): Promise<number> {
    return this.prisma.targetLink.count({
      where: { targetId, remoteId: { not: null }, status: { notIn: ['deprovisioned', 'out_of_scope'] } },
    });
  }
}

/** The columns `linkFromRow` reads. */
export const LINK_COLUMNS = `tenant_id, target_id, resource_id, resource_type, remote_id, pushed_state, pushed_hash,
  pushed_version, desired_version, status, last_error, attempts, last_pushed_at, updated_at`;

export interface LinkRow {
  tenant_id: string;
  target_id: string;
  resource_id: string;
  resource_type: string;
  remote_id: string | null;
  pushed_state: Record<string, unknown> | null;
  pushed_hash: string | null;
  pushed_version: number | null;
  desired_version: number;
  status: string;
  last_error: string | null;
  attempts: number;
  last_pushed_at: Date | null;
  updated_at: Date;
}

export function linkFromRow(row: LinkRow): TargetLinkRecord {
  return {
    tenantId: asTenantId(row.tenant_id),
    targetId: row.target_id,
    resourceId: row.resource_id,
    resourceType: row.resource_type,
    remoteId: row.remote_id,
    pushedState: row.pushed_state ?? null,
    pushedHash: row.pushed_hash,
    pushedVersion: row.pushed_version,
    desiredVersion: row.desired_version,
    status: row.status as LinkStatus,
    lastError: row.last_error,
    attempts: row.attempts,
    lastPushedAt: row.last_pushed_at,
    updatedAt: row.updated_at,
  };
}
