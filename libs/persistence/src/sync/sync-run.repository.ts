import { Injectable } from '@nestjs/common';
import { PrismaService } from '../prisma.service';
import type { TenantId } from '../tenant-id';

export type SyncRunStatus = 'queued' | 'running' | 'awaiting_confirmation' | 'done' | 'failed' | 'discarded';
/**
 * `full` and `delta` pull the source; `withdraw` pulls nothing and withdraws every live
 * contribution of the source through the engine (always held for an admin to confirm), the step
 * before the source can be deleted.
 */
export type SyncRunMode = 'full' | 'delta' | 'withdraw';
export type SyncRunTrigger = 'schedule' | 'manual' | 'confirm';

/** One failing record: its key and why (bounded sample on the run). */
export interface SyncFailure {
  resourceType: string;
  sourceKey: string;
  reason: string;
}

/** Deletions the mass-deletion safeguard held back, waiting for an admin. */
export interface HeldDeletions {
  count: number;
  /** Largest share of one resource type's live contributions the run would delete. */
  share: number;
  threshold: number;
  /** Why the safeguard held the run (one line per resource type that tripped it). */
  reasons: string[];
  /** Per resource type: live contributions before the run and keys to delete. */
  byType: Record<string, { live: number; count: number }>;
  /** The source keys to withdraw, per resource type. */
  keys: Record<string, string[]>;
}

export interface SyncRunRecord {
  id: string;
  sourceId: string;
  mode: SyncRunMode;
  trigger: SyncRunTrigger;
  status: SyncRunStatus;
  pages: number;
  seen: number;
  created: number;
  updated: number;
  unchanged: number;
  deleted: number;
  failed: number;
  failures: SyncFailure[];
  heldDeletions: HeldDeletions | null;
  nextCursor: Record<string, unknown> | null;
  error: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Counts added to a run after a batch. */
export interface SyncProgress {
  pages?: number;
  seen?: number;
  created?: number;
  updated?: number;
  unchanged?: number;
  deleted?: number;
  failed?: number;
  failures?: readonly SyncFailure[];
}

/** A second run was requested while one is queued, running or waiting for confirmation. */
export class SyncRunOpenError extends Error {
  constructor(readonly openRunId: string) {
    super(`run ${openRunId} of this source is still open`);
  }
}

interface Row {
  id: string;
  source_id: string;
  mode: SyncRunMode;
  trigger: SyncRunTrigger;
  status: SyncRunStatus;
  pages: number;
  seen: number;
  created: number;
  updated: number;
  unchanged: number;
  deleted: number;
  failed: number;
  failures: SyncFailure[];
  held_deletions: HeldDeletions | null;
  next_cursor: Record<string, unknown> | null;
  error: string | null;
  started_at: Date | null;
  finished_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = `id, source_id, mode, trigger, status, pages, seen, created, updated, unchanged, deleted, failed,
  failures, held_deletions, next_cursor, error, started_at, finished_at, created_at, updated_at`;

/** Failing records kept per run (with their reasons); the count keeps going. */
export const FAILURE_SAMPLE = 50;

const toRecord = (r: Row): SyncRunRecord => ({
  id: r.id,
  sourceId: r.source_id,
  mode: r.mode,
  trigger: r.trigger,
  status: r.status,
  pages: r.pages,
  seen: r.seen,
  created: r.created,
  updated: r.updated,
  unchanged: r.unchanged,
  deleted: r.deleted,
  failed: r.failed,
  failures: r.failures ?? [],
  heldDeletions: r.held_deletions,
  nextCursor: r.next_cursor,
  error: r.error,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/**
 * Source sync runs (ADR 0503): the run's state lives here, the queue is only transport. A partial
 * unique index keeps one queued/running/awaiting_confirmation run per source.
 */
@Injectable()
export class SyncRunRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Opens a queued run; throws SyncRunOpenError naming the open one when there is one. */
  async open(
    tenantId: TenantId,
    sourceId: string,
    run: { mode: SyncRunMode; trigger: SyncRunTrigger },
  ): Promise<SyncRunRecord> {
    const rows = await this.prisma.$queryRawUnsafe<Row[]>(
      `INSERT INTO sync_runs (id, tenant_id, source_id, mode, trigger, status, created_at, updated_at)
       VALUES (gen_random_uuid(), $1::uuid, $2::uuid, $3, $4, 'queued', now(), now())
       ON CONFLICT (source_id) WHERE status IN ('queued', 'running', 'awaiting_confirmation') DO NOTHING
       RETURNING ${COLUMNS}`,
      tenantId,
      sourceId,
      run.mode,
      run.trigger,
    );
    if (rows[0]) return toRecord(rows[0]);
    const open = await this.openRun(tenantId, sourceId);
    // The open run finished between the insert and this read: try once more.
    if (!open) return this.open(tenantId, sourceId, run);
    throw new SyncRunOpenError(open.id);
  }

  async openRun(tenantId: TenantId, sourceId: string): Promise<SyncRunRecord | null> {
    const rows = await this.prisma.$queryRawUnsafe<Row[]>(
      `SELECT ${COLUMNS} FROM sync_runs WHERE tenant_id = $1::uuid AND source_id = $2::uuid
         AND status IN ('queued', 'running', 'awaiting_confirmation')`,
      tenantId,
      sourceId,
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async get(tenantId: TenantId, id: string): Promise<SyncRunRecord | null> {
    const rows = await this.prisma.$queryRawUnsafe<Row[]>(
      `SELECT ${COLUMNS} FROM sync_runs WHERE tenant_id = $1::uuid AND id = $2::uuid`,
      tenantId,
      id,
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** A source's runs, newest first. */
  async list(tenantId: TenantId, sourceId: string, limit: number): Promise<SyncRunRecord[]> {
    const rows = await this.prisma.$queryRawUnsafe<Row[]>(
      `SELECT ${COLUMNS} FROM sync_runs WHERE tenant_id = $1::uuid AND source_id = $2::uuid
       ORDER BY created_at DESC, id LIMIT $3`,
      tenantId,
      sourceId,
      limit,
    );
    return rows.map(toRecord);
  }

  /** When the source's last full run completed (scheduled runs pick full or delta from it). */
  async lastFullDone(tenantId: TenantId, sourceId: string): Promise<Date | null> {
    const rows = await this.prisma.$queryRawUnsafe<Array<{ at: Date | null }>>(
      `SELECT max(finished_at) AS at FROM sync_runs
       WHERE tenant_id = $1::uuid AND source_id = $2::uuid AND mode = 'full' AND status = 'done'`,
      tenantId,
      sourceId,
    );
    return rows[0]?.at ?? null;
  }

  /**
   * Marks a queued run (or one a dead worker left running) as running from scratch, and returns
   * the database time it starts at: contributions of the source not written or touched after it
   * were not seen by this run's pull. Null when the run is not startable.
   */
  async start(tenantId: TenantId, id: string): Promise<{ startedAt: Date } | null> {
    const rows = await this.prisma.$queryRawUnsafe<Array<{ started_at: Date }>>(
      `UPDATE sync_runs SET status = 'running', started_at = clock_timestamp(), pages = 0, seen = 0, created = 0,
         updated = 0, unchanged = 0, deleted = 0, failed = 0, failures = '[]'::jsonb, error = NULL, updated_at = now()
       WHERE tenant_id = $1::uuid AND id = $2::uuid AND status IN ('queued', 'running')
       RETURNING started_at`,
      tenantId,
      id,
    );
    return rows[0] ? { startedAt: rows[0].started_at } : null;
  }

  /** Records the actual mode (a connector may turn a delta into a full pull). */
  async setMode(tenantId: TenantId, id: string, mode: SyncRunMode): Promise<void> {
    await this.prisma.$executeRawUnsafe(
      `UPDATE sync_runs SET mode = $3, updated_at = now() WHERE tenant_id = $1::uuid AND id = $2::uuid`,
      tenantId,
      id,
      mode,
    );
  }

  /** Adds a batch's counts; failures are appended up to FAILURE_SAMPLE. */
  async progress(tenantId: TenantId, id: string, p: SyncProgress): Promise<void> {
    await this.prisma.$executeRawUnsafe(
      `UPDATE sync_runs SET pages = pages + $3, seen = seen + $4, created = created + $5, updated = updated + $6,
         unchanged = unchanged + $7, deleted = deleted + $8, failed = failed + $9,
         failures = CASE WHEN jsonb_array_length(failures) >= ${FAILURE_SAMPLE} THEN failures
           ELSE (SELECT COALESCE(jsonb_agg(f), '[]'::jsonb) FROM (
             SELECT f FROM jsonb_array_elements(failures || $10::jsonb) WITH ORDINALITY AS x(f, n) ORDER BY n LIMIT ${FAILURE_SAMPLE}) s)
           END,
         updated_at = now()
       WHERE tenant_id = $1::uuid AND id = $2::uuid`,
      tenantId,
      id,
      p.pages ?? 0,
      p.seen ?? 0,
      p.created ?? 0,
      p.updated ?? 0,
      p.unchanged ?? 0,
      p.deleted ?? 0,
      p.failed ?? 0,
      JSON.stringify((p.failures ?? []).slice(0, FAILURE_SAMPLE)),
    );
  }

  /** Stops a running run before its deletions: an admin confirms or discards them. */
  async hold(
    tenantId: TenantId,
    id: string,
    held: HeldDeletions,
    nextCursor: Record<string, unknown> | null,
  ): Promise<void> {
    await this.prisma.$executeRawUnsafe(
      `UPDATE sync_runs SET status = 'awaiting_confirmation', held_deletions = $3::jsonb, next_cursor = $4::jsonb,
         updated_at = now()
       WHERE tenant_id = $1::uuid AND id = $2::uuid AND status = 'running'`,
      tenantId,
      id,
      JSON.stringify(held),
      nextCursor === null ? null : JSON.stringify(nextCursor),
    );
  }

  /** awaiting_confirmation → running (confirm) or discarded; false when the run was not waiting. */
  async decide(tenantId: TenantId, id: string, to: 'running' | 'discarded'): Promise<boolean> {
    const n = await this.prisma.$executeRawUnsafe(
      `UPDATE sync_runs SET status = $3, updated_at = now(),
         finished_at = CASE WHEN $3 = 'discarded' THEN now() ELSE finished_at END
       WHERE tenant_id = $1::uuid AND id = $2::uuid AND status = 'awaiting_confirmation'`,
      tenantId,
      id,
      to,
    );
    return n > 0;
  }

  async finish(
    tenantId: TenantId,
    id: string,
    status: 'done' | 'failed',
    error?: string,
    nextCursor?: Record<string, unknown> | null,
  ): Promise<void> {
    await this.prisma.$executeRawUnsafe(
      `UPDATE sync_runs SET status = $3, error = $4, finished_at = now(), updated_at = now(),
         next_cursor = COALESCE($5::jsonb, next_cursor)
       WHERE tenant_id = $1::uuid AND id = $2::uuid`,
      tenantId,
      id,
      status,
      error ?? null,
      nextCursor ? JSON.stringify(nextCursor) : null,
    );
  }
}
