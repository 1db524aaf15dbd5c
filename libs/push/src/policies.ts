import type { DeletionThreshold } from './target-config';

export interface ThresholdInput {
  readonly threshold: DeletionThreshold;
  /** Accounts the target holds for the hub. */
  readonly linked: number;
  /** Deprovisioning pushes already sent within the window. */
  readonly recent: number;
}

/** Whether one more deprovisioning push stays within `max(minimum, share × linked)` for the window. */
export function deletionAllowed(input: ThresholdInput): { allowed: boolean; limit: number } {
  const limit = Math.max(input.threshold.minimum, Math.floor(input.threshold.share * input.linked));
  return { allowed: input.recent < limit, limit };
}

export interface ProbeSchedule {
  readonly baseMs: number;
  readonly capMs: number;
}

export const DEFAULT_PROBE_SCHEDULE: ProbeSchedule = { baseMs: 5_000, capMs: 10 * 60_000 };

/** Delay before the next probe of a quarantined target: doubling from `baseMs`, capped. */
export function nextProbeDelay(failures: number, schedule: ProbeSchedule = DEFAULT_PROBE_SCHEDULE): number {
  return Math.min(schedule.capMs, schedule.baseMs * 2 ** Math.max(0, Math.min(failures, 30)));
}

/** How the pipeline treats a failed request. */
export type FailureClass =
  /** 401/403: the target refuses us; retrying burns nothing but goodwill → quarantine now. */
  | 'auth'
  /** 429/503: wait the Retry-After (or a backoff) without spending an attempt. */
  | 'throttled'
  /** Network, timeouts, 5xx: retry with backoff; counts toward the target's failure streak. */
  | 'transient'
  /** 404 on an object we linked: it is gone at the target (re-create). */
  | 'gone'
  /** 409 on create: the object exists (match it and adopt). */
  | 'conflict'
  /** Other 4xx: the request itself is wrong; retrying does not help → park. */
  | 'rejected';

export function classifyFailure(error: { kind?: string; status?: number | undefined }): FailureClass {
  const status = error.status;
  if (status === 401 || status === 403 || error.kind === 'auth') return 'auth';
  if (status === 429 || status === 503 || error.kind === 'rateLimited') return 'throttled';
  if (status === 404) return 'gone';
  if (status === 409) return 'conflict';
  if (status !== undefined && status >= 400 && status < 500) return 'rejected';
  return 'transient';
}

/** Exponential backoff with full jitter for the job's retries (attempt counts from 1). */
export function retryDelay(
  attempt: number,
  baseMs = 1_000,
  capMs = 60_000,
  random: () => number = Math.random,
): number {
  const cap = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(cap / 2 + (random() * cap) / 2);
}

/** BullMQ's lowest priority. */
const LOWEST_PRIORITY = 2_097_152;

/** Priority levels a backfill moves through per second of its target's rate (ADR 0603). */
export const BACKFILL_LEVELS_PER_SECOND = 50;

/**
 * The queue priority of a backfill's `position`-th job (ADR 0603): the job's place in time at
 * the target's rate, in fiftieths of a second, from the level `base` its backfill started at (the level the queue's
 * head was at then). BullMQ takes lower numbers first, FIFO within one, and jobs without a
 * priority (changes) before all of them. So every backfill moves through the levels at the pace
 * of its own rate, and backfills of different targets take turns a few jobs at a time: one
 * target's run of jobs never fills the workers while the others wait (a run of 900 jobs of one
 * rate-limited target held all 48 worker slots for six seconds), and a backfill that starts later
 * joins at the head instead of going ahead of, or behind, everything queued. Never beyond the
 * lowest priority BullMQ takes.
 */
export function backfillPriority(base: number, position: number, rateLimit: number): number {
  const level = Math.floor((position * BACKFILL_LEVELS_PER_SECOND) / Math.max(0.01, rateLimit));
  return Math.min(LOWEST_PRIORITY, Math.max(1, base + level));
}

/**
 * Bulk work for several targets, interleaved one from each in turn: the push queue is one FIFO,
 * so a target levelled with 100,000 records must not queue ahead of every other target's work
 * (the others would idle while its concurrency slots are full and their jobs wait behind it).
 */
export function interleave<T>(lists: readonly (readonly T[])[]): T[] {
  const out: T[] = [];
  const longest = Math.max(0, ...lists.map((l) => l.length));
  for (let i = 0; i < longest; i++) for (const l of lists) if (i < l.length) out.push(l[i]!);
  return out;
}

/** Between half of `ms` and `ms`, at random: spreads retries that would otherwise move in step. */
export function jitter(ms: number): number {
  return Math.round(ms / 2 + (Math.random() * ms) / 2);
}

/**
 * Rate tokens the lanes reserve at once: a millisecond of the target's rate, at most 32; one at a
 * time below 2,000/s (a rate-limited target's tokens are as they were). A token is spent at most
 * 20 ms after its due time (`PushLanes`), so any one second holds at most 2 % of the rate and a block
 * beyond the limiter's spacing: inside its 5 % headroom at the rates where blocks are used.
 */
export function tokenBlock(ratePerSecond: number): number {
  return Math.max(1, Math.min(32, Math.floor(ratePerSecond / 1000)));
}
