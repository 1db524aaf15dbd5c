/**
 * The one job catalogue: every queue, job name and payload lives here, and nothing else in the
 * code base spells BullMQ options. Payloads carry ids (plus a version where it matters); handlers
 * reload state, so a late or duplicated job is harmless. Bump a payload's `v` when its shape
 * changes and keep handling the previous one until old jobs have drained.
 */
import { QueueName } from './queue-names';
import { PUSH_JOB_OPTIONS, PUSH_JOB_QUEUE, PushJobName, type PushJobPayloads } from './areas/push.jobs';
import {
  RECONCILE_JOB_OPTIONS,
  RECONCILE_JOB_QUEUE,
  ReconcileJobName,
  type ReconcileJobPayloads,
} from './areas/reconcile.jobs';
import { SYNC_JOB_OPTIONS, SYNC_JOB_QUEUE, SyncJobName, type SyncJobPayloads } from './areas/sync.jobs';
import type { JobDefaults } from './areas/area-job-options';

export { QueueName, ALL_QUEUES } from './queue-names';

const CoreJobName = {
  /** Operator round-trip through Redis and a worker, recorded in Postgres. */
  WorkerPing: 'system.worker-ping',
  /** A golden-record version committed (relayed from the outbox): fan out to its consumers. */
  ResourceChanged: 'events.resource-changed',
  /** The same for a batch of committed versions (what the outbox relay publishes, ADR 0604). */
  ResourcesChanged: 'events.resources-changed',
  /** Recompute a resource type's golden records after a rule change (a recompute_runs row). */
  EngineRecompute: 'system.engine-recompute',
  /** Scheduled: delete suspended records past their grace period, rejoin parked contributions. */
  EngineSweep: 'system.engine-sweep',
} as const;
type CoreJobName = (typeof CoreJobName)[keyof typeof CoreJobName];

export const JobName = { ...CoreJobName, ...SyncJobName, ...PushJobName, ...ReconcileJobName } as const;
export type JobName = (typeof JobName)[keyof typeof JobName];

/** One committed golden-record version, as the outbox relays it. */
export interface RelayedChange {
  tenantId: string;
  resourceType: string;
  resourceId: string;
  version: number;
  kind: string;
  /** Outbox sequence (as a string: bigint does not survive JSON). */
  seq: string;
}

interface CoreJobPayloads {
  [JobName.WorkerPing]: { v: 1; tenantId: string; pingId: string };
  [JobName.ResourceChanged]: { v: 1 } & RelayedChange;
  [JobName.ResourcesChanged]: { v: 1; events: RelayedChange[] };
  [JobName.EngineRecompute]: { v: 1; tenantId: string; runId: string };
  [JobName.EngineSweep]: { v: 1 };
}

export type JobPayloads = CoreJobPayloads & SyncJobPayloads & PushJobPayloads & ReconcileJobPayloads;

export type JobOf<N extends JobName> = { name: N; data: JobPayloads[N] };
export type AnyJob = { [N in JobName]: JobOf<N> }[JobName];

const CORE_JOB_QUEUE: Record<CoreJobName, QueueName> = {
  [JobName.WorkerPing]: QueueName.System,
  [JobName.ResourceChanged]: QueueName.Events,
  [JobName.ResourcesChanged]: QueueName.Events,
  [JobName.EngineRecompute]: QueueName.System,
  [JobName.EngineSweep]: QueueName.System,
};

export const JOB_QUEUE: Record<JobName, QueueName> = {
  ...CORE_JOB_QUEUE,
  ...SYNC_JOB_QUEUE,
  ...PUSH_JOB_QUEUE,
  ...RECONCILE_JOB_QUEUE,
};

export interface JobOptions {
  /** Same id → one job: coalesces bursts for one (target, resource). */
  jobId?: string;
  delayMs?: number;
  priority?: number;
}

const DEFAULTS: JobDefaults = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { count: 1000, age: 24 * 3600 },
  removeOnFail: false,
};

const AREA_OPTIONS: Partial<Record<JobName, Partial<JobDefaults>>> = {
  ...SYNC_JOB_OPTIONS,
  ...PUSH_JOB_OPTIONS,
  ...RECONCILE_JOB_OPTIONS,
};

/** BullMQ options for a job: retries with exponential backoff, failed jobs kept for inspection. */
export function bullJobOptions(name: JobName, options: JobOptions = {}) {
  return {
    jobId: options.jobId,
    delay: options.delayMs,
    priority: options.priority,
    ...DEFAULTS,
    ...AREA_OPTIONS[name],
  };
}

export function jobsOfQueue(queue: QueueName): JobName[] {
  return (Object.keys(JOB_QUEUE) as JobName[]).filter((name) => JOB_QUEUE[name] === queue);
}
