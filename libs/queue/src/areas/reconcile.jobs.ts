import type { QueueName } from '../queue-names';
import type { AreaJobOptions } from './area-job-options';

/**
 * Reconciliation pulls (issue 7).
 * Each area declares its jobs in its own file; `jobs.ts` merges them into the one catalogue.
 * Queue: `QueueName.Reconcile`.
 */
export const ReconcileJobName = {} as const;

export type ReconcileJobPayloads = Record<never, never>;

export const RECONCILE_JOB_QUEUE: Record<
  (typeof ReconcileJobName)[keyof typeof ReconcileJobName],
  QueueName
> = {};

/** Per-job overrides of the catalogue's retry and retention defaults (see `bullJobOptions`). */
export const RECONCILE_JOB_OPTIONS: AreaJobOptions<(typeof ReconcileJobName)[keyof typeof ReconcileJobName]> =
  {};
