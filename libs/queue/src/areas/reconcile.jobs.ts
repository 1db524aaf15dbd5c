import { QueueName } from '../queue-names';
import type { AreaJobOptions } from './area-job-options';

/**
 * Reconciliation runs (issue 7, ADR 0702): per target (or upstream source) and resource type.
 * Each area declares its jobs in its own file; `jobs.ts` merges them into the one catalogue.
 * Queue: `QueueName.Reconcile`. The run's state and report live in `reconcile_runs`.
 */
export const ReconcileJobName = {
  /** A target type's job scheduler fired (cron): open a run unless one is open, then run it. */
  ReconcileScheduled: 'reconcile.scheduled',
  /** Run a queued reconciliation run (manual trigger, or again after a worker died mid-run). */
  ReconcileRun: 'reconcile.run',
} as const;

type ReconcileJobName = (typeof ReconcileJobName)[keyof typeof ReconcileJobName];

export interface ReconcileJobPayloads {
  [ReconcileJobName.ReconcileScheduled]: { v: 1; tenantId: string; targetId: string; resourceType: string };
  [ReconcileJobName.ReconcileRun]: { v: 1; tenantId: string; runId: string };
}

export const RECONCILE_JOB_QUEUE: Record<ReconcileJobName, QueueName> = {
  [ReconcileJobName.ReconcileScheduled]: QueueName.Reconcile,
  [ReconcileJobName.ReconcileRun]: QueueName.Reconcile,
};

/**
 * The target's answers are the run's outcome (status failed with the error), not a job failure;
 * these jobs throw only when the hub itself fails (database, Redis): a few retries, and a retried
 * run reads again from the start (comparisons are idempotent, actions go through the push links).
 */
export const RECONCILE_JOB_OPTIONS: AreaJobOptions<ReconcileJobName> = {
  [ReconcileJobName.ReconcileScheduled]: { attempts: 3, removeOnFail: { count: 1000, age: 7 * 24 * 3600 } },
  [ReconcileJobName.ReconcileRun]: { attempts: 3 },
};
