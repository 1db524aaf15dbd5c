import { QueueName } from '../queue-names';
import type { AreaJobOptions } from './area-job-options';

/**
 * Source sync runs (issue 5): scheduled and on-demand pulls (ADR 0503).
 * Each area declares its jobs in its own file; `jobs.ts` merges them into the one catalogue.
 * Queue: `QueueName.Sync`. The run's state lives in `sync_runs`; jobs carry ids only.
 */
export const SyncJobName = {
  /** A source's job scheduler fired (cron): open a run unless one is open, then run it. */
  SyncScheduled: 'sync.scheduled',
  /** Run a queued sync run (manual trigger, or re-run after a worker died mid-run). */
  SyncRun: 'sync.run',
  /** An admin confirmed a run's held deletions: apply them and complete the run. */
  SyncConfirm: 'sync.confirm',
} as const;

type SyncJobName = (typeof SyncJobName)[keyof typeof SyncJobName];

export interface SyncJobPayloads {
  [SyncJobName.SyncScheduled]: { v: 1; tenantId: string; sourceId: string };
  [SyncJobName.SyncRun]: { v: 1; tenantId: string; runId: string };
  [SyncJobName.SyncConfirm]: { v: 1; tenantId: string; runId: string };
}

export const SYNC_JOB_QUEUE: Record<SyncJobName, QueueName> = {
  [SyncJobName.SyncScheduled]: QueueName.Sync,
  [SyncJobName.SyncRun]: QueueName.Sync,
  [SyncJobName.SyncConfirm]: QueueName.Sync,
};

/**
 * A source's failure is the run's outcome (status failed, with the connector's error), not a job
 * failure, so these jobs only throw when the hub itself failed (database, Redis): a few retries,
 * and a retried run starts its pull again (records are whole views, so that is harmless).
 */
export const SYNC_JOB_OPTIONS: AreaJobOptions<SyncJobName> = {
  [SyncJobName.SyncScheduled]: { attempts: 3, removeOnFail: { count: 1000, age: 7 * 24 * 3600 } },
  [SyncJobName.SyncRun]: { attempts: 3 },
  [SyncJobName.SyncConfirm]: { attempts: 3 },
};
