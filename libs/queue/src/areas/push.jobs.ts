import type { QueueName } from '../queue-names';
import type { AreaJobOptions } from './area-job-options';

/**
 * Active Push (issue 6): per (target, resource) pushes and their catch-up.
 * Each area declares its jobs in its own file; `jobs.ts` merges them into the one catalogue.
 * Queue: `QueueName.Push`.
 */
export const PushJobName = {} as const;

export type PushJobPayloads = Record<never, never>;

export const PUSH_JOB_QUEUE: Record<(typeof PushJobName)[keyof typeof PushJobName], QueueName> = {};

/** Per-job overrides of the catalogue's retry and retention defaults (see `bullJobOptions`). */
export const PUSH_JOB_OPTIONS: AreaJobOptions<(typeof PushJobName)[keyof typeof PushJobName]> = {};
