import { QueueName } from '../queue-names';
import type { AreaJobOptions } from './area-job-options';

/**
 * Active Push (issue 6): per (target, resource) pushes and their catch-up.
 * Each area declares its jobs in its own file; `jobs.ts` merges them into the one catalogue.
 * Queue: `QueueName.Push`.
 */
export const PushJobName = {
  /**
   * Bring one golden record to one target (level-triggered: the handler reads the current
   * record and link). jobId `push:<target>:<resource>` coalesces bursts (`pushJobId` in libs/push).
   */
  PushResource: 'push.resource',
  /**
   * Bring a batch of golden records to one target (a fan-out's share for that target, ADR 0604):
   * one job for up to `PUSH_BATCH_SIZE` pushes, each still level-triggered and locked on its own.
   */
  PushBatch: 'push.batch',
  /** Scheduled every few seconds: probe quarantined targets, re-enqueue dirty links. */
  PushCatchUp: 'push.catch-up',
} as const;

export type PushJobPayloads = {
  [PushJobName.PushResource]: { v: 1; tenantId: string; targetId: string; resourceId: string };
  [PushJobName.PushBatch]: { v: 1; tenantId: string; targetId: string; resourceIds: string[] };
  [PushJobName.PushCatchUp]: { v: 1 };
};

export const PUSH_JOB_QUEUE: Record<(typeof PushJobName)[keyof typeof PushJobName], QueueName> = {
  [PushJobName.PushResource]: QueueName.Push,
  [PushJobName.PushBatch]: QueueName.Push,
  [PushJobName.PushCatchUp]: QueueName.Push,
};

/**
 * Per-job overrides of the catalogue's retry and retention defaults (see `bullJobOptions`).
 * A push's own failures (the target's answers) are retried by the handler with jittered backoff,
 * counted on the link in Postgres; BullMQ's attempts cover a handler that throws (database down,
 * crash). Jobs are removed when done either way: the link holds the state, and a kept id would
 * make BullMQ ignore the next change's job with the same id.
 */
export const PUSH_JOB_OPTIONS: AreaJobOptions<(typeof PushJobName)[keyof typeof PushJobName]> = {
  [PushJobName.PushResource]: {
    attempts: 10,
    backoff: { type: 'exponential', delay: 1000 },
    removeOnComplete: true,
    removeOnFail: true,
  },
  [PushJobName.PushBatch]: {
    attempts: 10,
    backoff: { type: 'exponential', delay: 1000 },
    removeOnComplete: true,
    removeOnFail: true,
  },
  [PushJobName.PushCatchUp]: {
    attempts: 1,
    removeOnComplete: true,
    removeOnFail: { count: 100, age: 24 * 3600 },
  },
};
