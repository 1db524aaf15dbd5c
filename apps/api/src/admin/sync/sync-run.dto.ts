import { IsIn, IsOptional } from 'class-validator';
import type { SyncRunRecord } from '@hub/persistence';

/**
 * `POST /admin/v1/sources/:id/runs`: full or delta (default: delta when the source has a cursor),
 * or `withdraw` — every contribution of a disabled source, held for confirmation (before deleting it).
 */
export class TriggerRunDto {
  @IsOptional()
  @IsIn(['full', 'delta', 'withdraw'])
  mode?: 'full' | 'delta' | 'withdraw';
}

/** Held keys shown per resource type on one run (the count is always exact). */
const KEYS_SHOWN = 1000;

export interface SyncRunView {
  id: string;
  sourceId: string;
  mode: string;
  trigger: string;
  status: string;
  progress: {
    pages: number;
    seen: number;
    created: number;
    updated: number;
    unchanged: number;
    deleted: number;
    failed: number;
  };
  failures: SyncRunRecord['failures'];
  heldDeletions: {
    count: number;
    share: number;
    threshold: number;
    reasons: string[];
    byType: Record<string, { live: number; count: number }>;
    keys?: Record<string, string[]>;
    keysTruncated?: boolean;
  } | null;
  error: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A run as the admin API shows it; `withKeys` adds the held source keys (one run's view). */
export function toRunView(run: SyncRunRecord, withKeys: boolean): SyncRunView {
  const held = run.heldDeletions;
  let keys: Record<string, string[]> | undefined;
  let truncated = false;
  if (held && withKeys) {
    keys = {};
    for (const [type, list] of Object.entries(held.keys ?? {})) {
      keys[type] = list.slice(0, KEYS_SHOWN);
      if (list.length > KEYS_SHOWN) truncated = true;
    }
    if (Object.values(held.keys ?? {}).reduce((n, l) => n + l.length, 0) < held.count) truncated = true;
  }
  return {
    id: run.id,
    sourceId: run.sourceId,
    mode: run.mode,
    trigger: run.trigger,
    status: run.status,
    progress: {
      pages: run.pages,
      seen: run.seen,
      created: run.created,
      updated: run.updated,
      unchanged: run.unchanged,
      deleted: run.deleted,
      failed: run.failed,
    },
    failures: run.failures,
    heldDeletions: held
      ? {
          count: held.count,
          share: held.share,
          threshold: held.threshold,
          reasons: held.reasons ?? [],
          byType: held.byType,
          ...(keys ? { keys, keysTruncated: truncated } : {}),
        }
      : null,
    error: run.error,
    startedAt: run.startedAt?.toISOString() ?? null,
    finishedAt: run.finishedAt?.toISOString() ?? null,
    createdAt: run.createdAt.toISOString(),
    updatedAt: run.updatedAt.toISOString(),
  };
}
