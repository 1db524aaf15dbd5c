import { Injectable } from '@nestjs/common';
import { PrismaService } from '../prisma.service';
import type { TenantId } from '../tenant-id';

export type ReconcileSubjectKind = 'target' | 'source';
export type ReconcileRunStatus = 'queued' | 'running' | 'done' | 'failed';
export type ReconcileRunMode = 'full' | 'delta';
export type ReconcileRunTrigger = 'schedule' | 'manual';

export interface ReconcileRunRecord {
  id: string;
  tenantId: TenantId;
  subjectKind: ReconcileSubjectKind;
  subjectId: string;
  resourceType: string;
  mode: ReconcileRunMode;
  dryRun: boolean;
  trigger: ReconcileRunTrigger;
  status: ReconcileRunStatus;
  pages: number;
  /** Objects per class (`in_sync`, `drifted`, …) plus `seen`. */
  counts: Record<string, number>;
  /** Bounded examples per class, with attribute-level differences and the action's outcome. */
  samples: Array<Record<string, unknown>>;
  /** Per action: `{ ok, failed, skipped, planned }`; `note` says how the run read (mode changes). */
  actions: Record<string, unknown>;
  error: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** What one page adds to a run. */
export interface ReconcileProgress {
  pages?: number;
  counts?: Record<string, number>;
  actions?: Record<string, Record<string, number>>;
  samples?: ReadonlyArray<object>;
}

/** A run was requested while one of the same subject and resource type is queued or running. */
export class ReconcileRunOpenError extends Error {
  constructor(readonly openRunId: string) {
    super(`reconciliation ${openRunId} is still open`);
  }
}

/** Samples kept on a run, in all. */
export const RUN_SAMPLE_LIMIT = 200;

interface Row {
  id: string;
  tenant_id: string;
  subject_kind: ReconcileSubjectKind;
  subject_id: string;
  resource_type: string;
  mode: ReconcileRunMode;
  dry_run: boolean;
  trigger: ReconcileRunTrigger;
  status: ReconcileRunStatus;
  pages: number;
  counts: Record<string, number>;
  samples: Array<Record<string, unknown>>;
  actions: Record<string, unknown>;
  error: string | null;
  started_at: Date | null;
  finished_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = `id, tenant_id, subject_kind, subject_id, resource_type, mode, dry_run, trigger, status, pages,
  counts, samples, actions, error, started_at, finished_at, created_at, updated_at`;

const toRecord = (r: Row): ReconcileRunRecord => ({
  id: r.id,
  tenantId: r.tenant_id as TenantId,
  subjectKind: r.subject_kind,
  subjectId: r.subject_id,
  resourceType: r.resource_type,
  mode: r.mode,
  dryRun: r.dry_run,
  trigger: r.trigger,
  status: r.status,
  pages: r.pages,
  counts: r.counts ?? {},
  samples: r.samples ?? [],
  actions: r.actions ?? {},
  error: r.error,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/**
 * Reconciliation runs (ADR 0702): the run's state and report live here, the queue is transport.
 * The partial unique index `reconcile_runs_one_open_per_subject` keeps one queued or running run
 * per (target or source, resource type).
 */
@Injectable()
export class ReconcileRunRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Opens a queued run; throws ReconcileRunOpenError naming the open one. */
  async open(
    tenantId: TenantId,
    run: {
      subjectKind: ReconcileSubjectKind;
      subjectId: string;
      resourceType: string;
      mode: ReconcileRunMode;
      dryRun: boolean;
      trigger: ReconcileRunTrigger;
    },
  ): Promise<ReconcileRunRecord> {
    const rows = await this.prisma.rawQuery<Row>(
      `INSERT INTO reconcile_runs (id, tenant_id, subject_kind, subject_id, resource_type, mode, dry_run, trigger,
         status, created_at, updated_at)
       VALUES (gen_random_uuid(), $1::uuid, $2, $3::uuid, $4, $5, $6, $7, 'queued', now(), now())
       ON CONFLICT (subject_id, resource_type) WHERE status IN ('queued', 'running') DO NOTHING
       RETURNING ${COLUMNS}`,
      [tenantId, run.subjectKind, run.subjectId, run.resourceType, run.mode, run.dryRun, run.trigger],
    );
    if (rows[0]) return toRecord(rows[0]);
    const open = await this.openRun(tenantId, run.subjectId, run.resourceType);
    if (!open) return this.open(tenantId, run); // it closed between the insert and the read
    throw new ReconcileRunOpenError(open.id);
  }

  async openRun(
    tenantId: TenantId,
    subjectId: string,
    resourceType: string,
  ): Promise<ReconcileRunRecord | null> {
    const rows = await this.prisma.rawQuery<Row>(
      `SELECT ${COLUMNS} FROM reconcile_runs WHERE tenant_id = $1::uuid AND subject_id = $2::uuid
         AND resource_type = $3 AND status IN ('queued', 'running')`,
      [tenantId, subjectId, resourceType],
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async get(tenantId: TenantId, id: string): Promise<ReconcileRunRecord | null> {
    const rows = await this.prisma.rawQuery<Row>(
      `SELECT ${COLUMNS} FROM reconcile_runs WHERE tenant_id = $1::uuid AND id = $2::uuid`,
      [tenantId, id],
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** Newest first; of one subject when given. */
  async list(
    tenantId: TenantId,
    filter: { subjectId?: string; subjectKind?: ReconcileSubjectKind; limit: number },
  ): Promise<ReconcileRunRecord[]> {
    const rows = await this.prisma.rawQuery<Row>(
      `SELECT ${COLUMNS} FROM reconcile_runs WHERE tenant_id = $1::uuid
         AND ($2::uuid IS NULL OR subject_id = $2::uuid) AND ($3::text IS NULL OR subject_kind = $3)
       ORDER BY created_at DESC, id LIMIT $4`,
      [tenantId, filter.subjectId ?? null, filter.subjectKind ?? null, filter.limit],
    );
    return rows.map(toRecord);
  }

  /** Start of the last completed run (a delta's lower bound). */
  async lastDoneStart(tenantId: TenantId, subjectId: string, resourceType: string): Promise<Date | null> {
    const rows = await this.prisma.rawQuery<{ at: Date | null }>(
      `SELECT max(started_at) AS at FROM reconcile_runs WHERE tenant_id = $1::uuid AND subject_id = $2::uuid
         AND resource_type = $3 AND status = 'done' AND NOT dry_run`,
      [tenantId, subjectId, resourceType],
    );
    return rows[0]?.at ?? null;
  }

  /** queued (or running, left by a dead worker) → running from scratch; null when not startable. */
  async start(tenantId: TenantId, id: string): Promise<ReconcileRunRecord | null> {
    const rows = await this.prisma.rawQuery<Row>(
      `UPDATE reconcile_runs SET status = 'running', started_at = clock_timestamp(), pages = 0, counts = '{}'::jsonb,
         samples = '[]'::jsonb, actions = '{}'::jsonb, error = NULL, finished_at = NULL, updated_at = now()
       WHERE tenant_id = $1::uuid AND id = $2::uuid AND status IN ('queued', 'running')
       RETURNING ${COLUMNS}`,
      [tenantId, id],
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async setMode(tenantId: TenantId, id: string, mode: ReconcileRunMode, note?: string): Promise<void> {
    await this.prisma.rawQuery(
      `UPDATE reconcile_runs SET mode = $3,
         actions = CASE WHEN $4::text IS NULL THEN actions ELSE actions || jsonb_build_object('note', $4::text) END,
         updated_at = now()
       WHERE tenant_id = $1::uuid AND id = $2::uuid`,
      [tenantId, id, mode, note ?? null],
    );
  }

  /** Adds a page: pages, counts and action outcomes summed in SQL, samples appended up to the limit. */
  async progress(tenantId: TenantId, id: string, p: ReconcileProgress): Promise<void> {
    await this.prisma.rawQuery(
      `UPDATE reconcile_runs SET pages = pages + $3,
         counts = (SELECT COALESCE(jsonb_object_agg(k, v), '{}'::jsonb) FROM (
           SELECT k, sum(v::bigint) AS v FROM (
             SELECT key AS k, value::text AS v FROM jsonb_each(counts)
             UNION ALL SELECT key, value::text FROM jsonb_each($4::jsonb)) a GROUP BY k) s),
         actions = actions || (SELECT COALESCE(jsonb_object_agg(act, outcome), '{}'::jsonb) FROM (
           SELECT n.key AS act, (SELECT jsonb_object_agg(o.key, COALESCE((actions->n.key->>o.key)::bigint, 0) + o.value::text::bigint)
             FROM jsonb_each(n.value) o) AS outcome
           FROM jsonb_each($5::jsonb) n) x),
         samples = CASE WHEN jsonb_array_length(samples) >= ${RUN_SAMPLE_LIMIT} THEN samples
           ELSE (SELECT COALESCE(jsonb_agg(s ORDER BY n), '[]'::jsonb) FROM (
             SELECT s, n FROM jsonb_array_elements(samples || $6::jsonb) WITH ORDINALITY AS x(s, n)
             ORDER BY n LIMIT ${RUN_SAMPLE_LIMIT}) y) END,
         updated_at = now()
       WHERE tenant_id = $1::uuid AND id = $2::uuid`,
      [
        tenantId,
        id,
        p.pages ?? 0,
        JSON.stringify(p.counts ?? {}),
        JSON.stringify(p.actions ?? {}),
        JSON.stringify(p.samples ?? []),
      ],
    );
  }

  async finish(tenantId: TenantId, id: string, status: 'done' | 'failed', error?: string): Promise<void> {
    await this.prisma.rawQuery(
      `UPDATE reconcile_runs SET status = $3, error = $4, finished_at = clock_timestamp(), updated_at = now()
       WHERE tenant_id = $1::uuid AND id = $2::uuid AND status = 'running'`,
      [tenantId, id, status, error?.slice(0, 2000) ?? null],
    );
  }
}
