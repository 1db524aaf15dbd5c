import { randomUUID } from 'node:crypto';
import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { TenantId } from '@hub/persistence';
import { sleep } from '@hub/scim-client';
import { jitter, tokenBlock } from '../policies';
import type { PushState } from '@hub/persistence';
import {
  PushStepService,
  reserveToken,
  type PushStepResult,
  type PushTraceStep,
  type StepSlot,
} from './push-step.service';
import { TargetGate } from './target-gate.service';

/** What became of one record handed to the lanes. */
export type LaneOutcome =
  | { readonly resourceId: string; readonly result: PushStepResult }
  /** Not pushed: the target is waiting (rate limit, Retry-After) or has too much work here. */
  | { readonly resourceId: string; readonly deferMs: number }
  /** The step threw (database, Redis): the caller's job is retried. */
  | { readonly resourceId: string; readonly error: unknown };

interface LaneTarget {
  readonly id: string;
  readonly concurrency: number;
  readonly rateLimit: number;
}

/**
 * Batches a target works at once here: each is locked and read in one statement, and its steps
 * then wait for the target's slots together, so one batch's reads and records overlap another's
 * requests.
 */
const RUNNING_BATCHES = 3;

/** Batches of one target a process always takes into its backlog. */
const BACKLOG_BATCHES = 4;

/** Beyond those, more while the backlog drains within this at the target's recent rate. */
const BACKLOG_MS = 2_000;

/** How often the rate is measured. */
const RATE_WINDOW_MS = 250;

/** Slots idle this long go back to Redis (a next batch usually comes sooner). */
const IDLE_RELEASE_MS = 200;

/** Held slots are renewed this often (their lease in Redis lasts a minute). */
const RENEW_MS = 15_000;

/** A token not used within this of its due time is dropped (as if sent then; see `tokenBlock`). */
const TOKEN_STALE_MS = 20;

/**
 * The push lanes of this process (ADR 0604). Per target, a backlog that every batch job of the
 * target in this process feeds, `RUNNING_BATCHES` batches worked at once, each batch's steps
 * together. A step needs one of the target's concurrency slots only while it sends: the lanes
 * lease slots from Redis in bulk (one round trip for several), lend them to their steps, and give
 * them back once the target's work here runs out — one Redis round trip per lease, not two per
 * push.
 *
 * A backlog is bounded by time: a batch that finds more than `BACKLOG_MS` of the target's work
 * ahead of it (a slow target), or the target waiting for its rate limit or a Retry-After, is
 * handed back at once (the job queues it again, delayed by about that much), so batches of a slow
 * target never hold the worker's jobs that other targets' batches need.
 */
@Injectable()
export class PushLanes implements OnApplicationShutdown {
  private readonly byTarget = new Map<string, TargetLanes>();

  constructor(
    private readonly step: PushStepService,
    private readonly gate: TargetGate,
  ) {}

  /** Pushes the records through the target's lanes; resolves once each has an outcome. */
  run(
    tenantId: TenantId,
    target: LaneTarget,
    resourceIds: readonly string[],
    batchSize: number,
  ): Promise<LaneOutcome[]> {
    let lanes = this.byTarget.get(target.id);
    if (!lanes) {
      lanes = new TargetLanes(this.step, this.gate);
      this.byTarget.set(target.id, lanes);
    }
    return lanes.submit(tenantId, target, resourceIds, batchSize);
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.byTarget.values()].map((l) => l.close()));
  }
}

interface Queued {
  readonly resourceId: string;
  readonly settle: (outcome: LaneOutcome) => void;
}

interface Batch {
  readonly tenantId: TenantId;
  readonly items: Queued[];
}

/** One target's backlog, its running steps and the slots it leases for them. */
class TargetLanes {
  private readonly logger = new Logger('PushLanes');
  private readonly queue: Batch[] = [];
  /** Records of the batches taken and not finished (queued or running). */
  private pending = 0;
  private target!: LaneTarget;
  private running = 0;
  /** No request to the target before this time (a rate wait or Retry-After seen by a step). */
  private waitUntil = 0;
  /** Pushes per millisecond, smoothed: how long the backlog takes to drain. */
  private rate = 0;
  private done = 0;
  private measuredAt = Date.now();

  // The slot pool: holders leased from Redis, those lent to nobody, and steps waiting for one.
  private readonly leased = new Set<string>();
  private readonly free: string[] = [];
  private readonly waiting: Array<(holder: string) => void> = [];
  private leasing = false;
  private leaseRetry: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  /** A step's target answered since the failure streak was last ended. */
  private answered = false;
  /** Due times (ms) of rate tokens reserved in a block and not spent yet, earliest first. */
  private readonly tokens: number[] = [];
  private reserving: Promise<boolean> | undefined;

  constructor(
    private readonly step: PushStepService,
    private readonly gate: TargetGate,
  ) {}

  submit(
    tenantId: TenantId,
    target: LaneTarget,
    resourceIds: readonly string[],
    batchSize: number,
  ): Promise<LaneOutcome[]> {
    this.target = target; // the newest configuration (limits may have changed)
    const wait = this.waitUntil - Date.now();
    const ahead = this.drainMs();
    if (wait > 0 || (this.pending >= BACKLOG_BATCHES * batchSize && ahead > BACKLOG_MS)) {
      // Not measured yet (the steps just started): a short delay, it will be soon.
      const deferMs =
        wait > 0 ? wait + jitter(100) : jitter(Number.isFinite(ahead) ? Math.min(ahead, 10_000) : 250);
      return Promise.resolve(resourceIds.map((resourceId) => ({ resourceId, deferMs })));
    }
    const batch: Batch = { tenantId, items: [] };
    const outcomes = resourceIds.map(
      (resourceId) => new Promise<LaneOutcome>((settle) => batch.items.push({ resourceId, settle })),
    );
    this.queue.push(batch);
    this.pending += batch.items.length;
    this.pump();
    return Promise.all(outcomes);
  }

  async close(): Promise<void> {
    clearTimeout(this.leaseRetry);
    clearTimeout(this.idleTimer);
    clearInterval(this.renewTimer);
    await this.releaseIdle();
  }

  /** Roughly how long the backlog takes to drain at the recent rate (unknown yet: long). */
  private drainMs(): number {
    if (!this.pending) return 0;
    return this.rate > 0 ? this.pending / this.rate : Infinity;
  }

  /** Starts queued batches, `RUNNING_BATCHES` at a time. */
  private pump(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (!this.running && this.queue.length) {
      // A busy period starts: the rate is measured from now (idle time is not the target's).
      this.done = 0;
      this.measuredAt = Date.now();
    }
    while (this.queue.length && this.running < RUNNING_BATCHES) {
      const batch = this.queue.shift()!;
      this.running += 1;
      void this.runBatch(batch).finally(() => {
        this.running -= 1;
        this.pending -= batch.items.length;
        this.pump();
        if (!this.running && !this.queue.length && !this.idleTimer)
          this.idleTimer = setTimeout(() => {
            this.idleTimer = undefined;
            if (!this.running) void this.releaseIdle();
          }, IDLE_RELEASE_MS);
      });
    }
  }

  /**
   * One batch: its locks in one statement (a record another push holds is busy: it gets a job of
   * its own), its links and records in one, then every step at once, each lent a slot for its
   * requests. The locks go back together, and only then do the outcomes: a follow-up job must not
   * find its record still locked by this batch.
   */
  private async runBatch({ tenantId, items }: Batch): Promise<void> {
    if (Date.now() < this.waitUntil) {
      for (const q of items)
        q.settle({ resourceId: q.resourceId, deferMs: this.waitUntil - Date.now() + jitter(100) });
      return;
    }
    const ids = items.map((q) => q.resourceId);
    let locked: boolean[];
    try {
      locked = await this.step.lockMany(this.target.id, ids);
    } catch (error) {
      for (const q of items) q.settle({ resourceId: q.resourceId, error });
      return;
    }
    const mine = ids.filter((_, i) => locked[i]);
    const outcomes = new Map<string, LaneOutcome>();
    for (const id of ids.filter((_, i) => !locked[i]))
      outcomes.set(id, { resourceId: id, result: { kind: 'busy', delayMs: jitter(300) } });
    try {
      const states = await this.step.readMany(tenantId, this.target.id, mine);
      await Promise.all(
        mine.map(async (id, i) => outcomes.set(id, await this.runStep(tenantId, id, states[i]!))),
      );
    } catch (error) {
      for (const id of mine) if (!outcomes.has(id)) outcomes.set(id, { resourceId: id, error });
    } finally {
      await this.step.unlockMany(this.target.id, mine);
      for (const q of items)
        q.settle(outcomes.get(q.resourceId) ?? { resourceId: q.resourceId, error: new Error('no outcome') });
    }
  }

  private async runStep(tenantId: TenantId, resourceId: string, prefetched: PushState): Promise<LaneOutcome> {
    if (Date.now() < this.waitUntil)
      return { resourceId, deferMs: this.waitUntil - Date.now() + jitter(100) };
    let result: PushStepResult;
    try {
      result = await this.step.run(tenantId, this.target.id, resourceId, {
        slot: new LentSlot(this),
        prefetched,
      });
    } catch (error) {
      return { resourceId, error };
    }
    this.measure();
    if (result.kind === 'wait') {
      // Nothing goes to the target for a while: the queued batches go back, delayed.
      this.waitUntil = Math.max(this.waitUntil, Date.now() + result.delayMs);
      for (const b of this.queue.splice(0)) {
        this.pending -= b.items.length;
        for (const q of b.items) q.settle({ resourceId: q.resourceId, deferMs: result.delayMs });
      }
      return { resourceId, deferMs: result.delayMs };
    }
    return { resourceId, result };
  }

  /**
   * One rate token for a step's request: from a block reserved for the lanes when the target's
   * rate is high (`tokenBlock`), else one of its own (`reserveToken`).
   */
  async token(tokenWaitMs: number, mayDefer: boolean): Promise<void> {
    const block = tokenBlock(this.target.rateLimit);
    if (block === 1) return reserveToken(this.gate, this.target, tokenWaitMs, mayDefer);
    for (;;) {
      const now = Date.now();
      while (this.tokens.length && this.tokens[0]! < now - TOKEN_STALE_MS) this.tokens.shift();
      const due = this.tokens.shift();
      if (due !== undefined) {
        if (due > now) await sleep(due - now);
        return;
      }
      this.reserving ??= this.reserveBlock(block, tokenWaitMs).finally(() => (this.reserving = undefined));
      // A block further off than the step may wait: one token of its own, with its defer rules.
      if (!(await this.reserving)) return reserveToken(this.gate, this.target, tokenWaitMs, mayDefer);
    }
  }

  private async reserveBlock(count: number, maxWaitMs: number): Promise<boolean> {
    const r = await this.gate.reserveMany(this.target.id, this.target.rateLimit, count, maxWaitMs);
    if (!r.reserved) return false;
    const first = Date.now() + r.waitMs;
    for (let i = 0; i < count; i++) this.tokens.push(first + i * r.intervalMs);
    return true;
  }

  /** A slot for a step about to send: a free one, or one leased for it (waits while none is). */
  borrow(): Promise<string> {
    const holder = this.free.pop();
    if (holder) return Promise.resolve(holder);
    return new Promise<string>((resolve) => {
      this.waiting.push(resolve);
      void this.lease();
    });
  }

  /** A step's slot back: to a step waiting for one, else kept for the next. */
  giveBack(holder: string, answered: boolean): void {
    if (answered) this.answered = true;
    if (!this.leased.has(holder)) return; // lost with its lease (see `renew`)
    const next = this.waiting.shift();
    if (next) next(holder);
    else this.free.push(holder);
  }

  /** Leases slots for the waiting steps, up to the target's concurrency, in one round trip. */
  private async lease(): Promise<void> {
    if (this.leasing) return;
    const want = Math.min(this.waiting.length, this.target.concurrency - this.leased.size);
    if (want <= 0) return;
    this.leasing = true;
    let got: string[] = [];
    try {
      got = await this.gate.acquireMany(
        this.target.id,
        this.target.concurrency,
        Array.from({ length: want }, () => randomUUID()),
      );
    } catch (error) {
      this.logger.warn({ targetId: this.target.id, err: (error as Error).message }, 'no slots leased');
    } finally {
      this.leasing = false;
    }
    for (const holder of got) {
      this.leased.add(holder);
      const next = this.waiting.shift();
      if (next) next(holder);
      else this.free.push(holder);
    }
    if (this.leased.size && !this.renewTimer)
      this.renewTimer = setInterval(() => void this.renew(), RENEW_MS);
    // Slots held elsewhere (other batches' replicas, single pushes): try again shortly.
    if (this.waiting.length && !this.leaseRetry)
      this.leaseRetry = setTimeout(
        () => {
          this.leaseRetry = undefined;
          void this.lease();
        },
        got.length ? 20 : jitter(40),
      );
  }

  private async renew(): Promise<void> {
    const holders = [...this.leased];
    if (!holders.length) return;
    const kept = await this.gate.renewMany(this.target.id, holders).catch(() => holders);
    // A lease that lapsed (Redis restarted, a long stall) may be someone else's slot now.
    for (const h of holders)
      if (!kept.includes(h)) {
        this.leased.delete(h);
        const i = this.free.indexOf(h);
        if (i >= 0) this.free.splice(i, 1);
      }
  }

  /** The slots no step holds go back to Redis, with the end of the failure streak if answered. */
  private async releaseIdle(): Promise<void> {
    const holders = this.free.splice(0);
    for (const h of holders) this.leased.delete(h);
    if (!this.leased.size) {
      clearInterval(this.renewTimer);
      this.renewTimer = undefined;
    }
    const answered = this.answered;
    this.answered = false;
    await Promise.all(
      holders.map((h, i) => this.gate.release(this.target.id, h, answered && i === 0).catch(() => undefined)),
    );
  }

  private measure(): void {
    this.done += 1;
    const now = Date.now();
    const elapsed = now - this.measuredAt;
    if (elapsed < RATE_WINDOW_MS) return;
    const recent = this.done / elapsed;
    this.rate = this.rate ? (this.rate + recent) / 2 : recent;
    this.done = 0;
    this.measuredAt = now;
  }
}

/** A step's slot lent by its target's lanes: borrowed at the first request, given back after. */
class LentSlot implements StepSlot {
  resetStreak = false;
  private holder: string | undefined;

  constructor(private readonly lanes: TargetLanes) {}

  get held(): boolean {
    return this.holder !== undefined;
  }

  async take(_trace: PushTraceStep[], tokenWaitMs: number, mayDefer: boolean): Promise<void> {
    const holder = await this.lanes.borrow();
    this.holder = holder;
    try {
      await this.lanes.token(tokenWaitMs, mayDefer);
    } catch (error) {
      await this.release();
      throw error;
    }
  }

  token(): Promise<void> {
    return this.lanes.token(10_000, false);
  }

  async release(): Promise<void> {
    const holder = this.holder;
    if (!holder) return;
    this.holder = undefined;
    this.lanes.giveBack(holder, this.resetStreak);
  }
}
