import type { QueueName } from '../queue-names';
import type { AreaJobOptions } from './area-job-options';

/**
 * Source sync runs (issue 5): scheduled and on-demand pulls.
 * Each area declares its jobs in its own file; `jobs.ts` merges them into the one catalogue.
 * Queue: `QueueName.Sync`.
 */
export const SyncJobName = {} as const;

export type SyncJobPayloads = Record<never, never>;

export const SYNC_JOB_QUEUE: Record<(typeof SyncJobName)[keyof typeof SyncJobName], QueueName> = {};

/** Per-job overrides of the catalogue's retry and retention defaults (see `bullJobOptions`). */
export const SYNC_JOB_OPTIONS: AreaJobOptions<(typeof SyncJobName)[keyof typeof SyncJobName]> = {};
