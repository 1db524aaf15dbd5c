/**
 * The one job catalogue: every queue, job name and payload lives here, and nothing else in the
 * code base spells BullMQ options. Payloads carry ids (plus a version where it matters); handlers
 * reload state, so a late or duplicated job is harmless. Bump a payload's `v` when its shape
 * changes and keep handling the previous one until old jobs have drained.
 */
export const QueueName = {
  System: 'system',
  Push: 'push',
  Sync: 'sync',
  Reconcile: 'reconcile',
  Events: 'events',
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];
export const ALL_QUEUES: readonly QueueName[] = Object.values(QueueName);

export const JobName = {
  /** Operator round-trip through Redis and a worker, recorded in Postgres. */
  WorkerPing: 'system.worker-ping',
  /** A golden-record version committed (relayed from the outbox): fan out to its consumers. */
  ResourceChanged: 'events.resource-changed',
  /** Recompute a resource type's golden records after a rule change (a recompute_runs row). */
  EngineRecompute: 'system.engine-recompute',
  /** Scheduled: delete suspended records past their grace period, rejoin parked contributions. */
  EngineSweep: 'system.engine-sweep',
} as const;
export type JobName = (typeof JobName)[keyof typeof JobName];

export interface JobPayloads {
  [JobName.WorkerPing]: { v: 1; tenantId: string; pingId: string };
  [JobName.ResourceChanged]: {
    v: 1;
    tenantId: string;
    resourceType: string;
    resourceId: string;
    version: number;
    kind: string;
    /** Outbox sequence (as a string: bigint does not survive JSON). */
    seq: string;
  };
  [JobName.EngineRecompute]: { v: 1; tenantId: string; runId: string };
  [JobName.EngineSweep]: { v: 1 };
}

export type JobOf<N extends JobName> = { name: N; data: JobPayloads[N] };
export type AnyJob = { [N in JobName]: JobOf<N> }[JobName];

export const JOB_QUEUE: Record<JobName, QueueName> = {
  [JobName.WorkerPing]: QueueName.System,
  [JobName.ResourceChanged]: QueueName.Events,
  [JobName.EngineRecompute]: QueueName.System,
  [JobName.EngineSweep]: QueueName.System,
};

export interface JobOptions {
  /** Same id → one job: coalesces bursts for one (target, resource). */
  jobId?: string;
  delayMs?: number;
  priority?: number;
}

/** BullMQ options for a job: retries with exponential backoff, failed jobs kept for inspection. */
export function bullJobOptions(name: JobName, options: JobOptions = {}) {
  void name;
  return {
    jobId: options.jobId,
    delay: options.delayMs,
    priority: options.priority,
    attempts: 5,
    backoff: { type: 'exponential' as const, delay: 1000 },
    removeOnComplete: { count: 1000, age: 24 * 3600 },
    removeOnFail: false,
  };
}

export function jobsOfQueue(queue: QueueName): JobName[] {
  return (Object.keys(JOB_QUEUE) as JobName[]).filter((name) => JOB_QUEUE[name] === queue);
}
