import { IsBoolean, IsIn, IsOptional, IsString, Length } from 'class-validator';
import type { ReconcileRunRecord } from '@hub/persistence';

/** `POST /admin/v1/targets/:id/reconciliations` and `/admin/v1/sources/:id/reconciliations`. */
export class RequestReconciliationDto {
  @IsString()
  @Length(1, 100)
  resourceType!: string;

  @IsOptional()
  @IsIn(['full', 'delta'])
  mode?: 'full' | 'delta';

  @IsOptional()
  @IsBoolean()
  dryRun?: boolean;
}

export interface ReconcileRunView {
  id: string;
  subject: { kind: string; id: string };
  resourceType: string;
  mode: string;
  dryRun: boolean;
  trigger: string;
  status: string;
  progress: { pages: number; seen: number };
  /** Objects per class (`in_sync`, `drifted`, `missing`, `unlinked_match`, `orphan`; sources: `stale`…). */
  counts: Record<string, number>;
  /** Per action: how many succeeded, failed, were skipped (a push got there first) or planned (dry run). */
  actions: Record<string, unknown>;
  samples?: Array<Record<string, unknown>>;
  error: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** The run as the admin API shows it; samples on the single-run view only. */
export function toReconcileView(run: ReconcileRunRecord, withSamples: boolean): ReconcileRunView {
  const { seen = 0, ...counts } = run.counts;
  return {
    id: run.id,
    subject: { kind: run.subjectKind, id: run.subjectId },
    resourceType: run.resourceType,
    mode: run.mode,
    dryRun: run.dryRun,
    trigger: run.trigger,
    status: run.status,
    progress: { pages: run.pages, seen },
    counts,
    actions: run.actions,
    ...(withSamples ? { samples: run.samples } : {}),
    error: run.error,
    startedAt: run.startedAt?.toISOString() ?? null,
    finishedAt: run.finishedAt?.toISOString() ?? null,
    createdAt: run.createdAt.toISOString(),
    updatedAt: run.updatedAt.toISOString(),
  };
}
