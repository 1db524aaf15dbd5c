import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  Coalescer,
  PushGoldenRepository,
  TargetLinkRepository,
  TargetRepository,
  type TargetRecord,
  type TenantId,
} from '@hub/persistence';
import { JobName, JobQueue, QueueName } from '@hub/queue';
import { HttpRequestError } from '@hub/scim-client';
import { pushJobId } from '../job-ids';
import { backfillPriority, interleave, nextProbeDelay } from '../policies';
import { PushLanes } from './push-lanes.service';
import { PushStepService, type PushStepResult, type PushTraceStep } from './push-step.service';
import { TargetContexts } from './target-context.service';
import { TargetGate, type BackfillState } from './target-gate.service';

export interface PushNowResult {
  readonly result: PushStepResult['kind'];
  readonly steps: readonly PushTraceStep[];
}

/**
 * Backfill jobs a target has queued at most (ADR 0603): two catch-up ticks' worth of its rate
 * limit (a push is at least one request), between 200 and 10,000.
 */
export function backfillDepth(rateLimit: number): number {
  return Math.max(200, Math.min(10_000, Math.ceil((2 * rateLimit * PUSH_TICK_MS) / 1000)));
}

/** The catch-up's interval the backfill is paced for (the worker's scheduler; ADR 0601). */
const PUSH_TICK_MS = 3_000;

/** Before every resource id (ids are random, never nil): a backfill from its first record. */
const NIL_UUID = '00000000-0000-0000-0000-000000000000';

/** How long a catch-up run's lease lasts unrenewed: a killed worker's run blocks the next for at most this. */
const CATCH_UP_LEASE_MS = 15_000;

/** Links levelled at once from which the planner statistics of `target_links` are refreshed. */
export const STATISTICS_AFTER_LINKS = 10_000;

/** One push to enqueue. */
interface PushWork {
  tenantId: TenantId;
  targetId: string;
  resourceId: string;
  /** Backfill only (`backfillPriority`): changes carry none and go first. */
  priority?: number;
}

/**
 * Active Push's use cases for the worker and the admin API: fan-out of a committed change,
 * the job step (with its follow-ups), provision on demand, retries of parked links, the
 * deletion-threshold confirmation, and the catch-up of quarantined targets and dirty links.
 */
@Injectable()
export class PushService implements OnModuleInit {
  /** Links levelled at once from which `target_links` statistics are refreshed (tests lower it). */
  statisticsAfterLinks = STATISTICS_AFTER_LINKS;

  private readonly logger = new Logger(PushService.name);
  private readonly scanCursor = new Map<string, string | undefined>();
  private readonly enabledTargets = new Coalescer<TenantId, TargetRecord[]>(
    async (tenantIds) => {
      const all = await this.targets.listEnabledOf([...new Set(tenantIds)]);
      return tenantIds.map((id) => all.filter((t) => t.tenantId === id));
    },
    { maxBatch: 100 },
  );

  constructor(
    private readonly step: PushStepService,
    private readonly jobs: JobQueue,
    private readonly targets: TargetRepository,
    private readonly links: TargetLinkRepository,
    private readonly golden: PushGoldenRepository,
    private readonly contexts: TargetContexts,
    private readonly gate: TargetGate,
    private readonly lanes: PushLanes,
  ) {}

  onModuleInit(): void {
    this.step.onGroupsDirty = (tenantId, targetId, groupIds) =>
      void Promise.all(groupIds.map((g) => this.enqueue(tenantId, targetId, g))).catch((e: Error) =>
        this.logger.warn({ err: e.message }, 'groups not re-enqueued (catch-up will)'),
      );
  }

  /** A golden record changed: every target provisioning its type wants this version. */
  async fanOut(
    tenantId: TenantId,
    resourceType: string,
    resourceId: string,
    version: number,
  ): Promise<number> {
    return this.fanOutMany([{ tenantId, resourceType, resourceId, version }]);
  }

  /**
   * Committed changes (an outbox relay's batch): each target provisioning a record's type wants
   * its version (the links' desired versions, raised first), and gets the records as push batches
   * of at most `PUSH_BATCH_SIZE` (ADR 0604). Returns the number of (target, record) pushes.
   */
  async fanOutMany(changes: readonly ResourceChange[]): Promise<number> {
    const byTarget = new Map<string, { tenantId: TenantId; resourceIds: Set<string> }>();
    const bumps: Array<Promise<void>> = [];
    const tenants = [...new Set(changes.map((c) => c.tenantId))];
    const targetsOf = new Map(
      await Promise.all(tenants.map(async (t) => [t, await this.targetsFor(t)] as const)),
    );
    for (const c of changes) {
      const ids = targetsOf
        .get(c.tenantId)!
        .filter((t) => {
          const type = t.resourceTypes[c.resourceType] as { enabled?: boolean } | undefined;
          return type !== undefined && type.enabled !== false;
        })
        .map((t) => t.id);
      if (!ids.length) continue;
      // Concurrent calls: the bumps share a few statements (`Coalescer`).
      bumps.push(this.links.bumpDesired(c.tenantId, ids, c.resourceId, c.resourceType, c.version));
      for (const targetId of ids) {
        const batch = byTarget.get(targetId) ?? { tenantId: c.tenantId, resourceIds: new Set<string>() };
        batch.resourceIds.add(c.resourceId);
        byTarget.set(targetId, batch);
      }
    }
    await Promise.all(bumps);
    let pushes = 0;
    const perTarget: Array<ReturnType<typeof batchesOf>> = [];
    for (const [targetId, { tenantId, resourceIds }] of byTarget) {
      pushes += resourceIds.size;
      perTarget.push(batchesOf(tenantId, targetId, [...resourceIds]));
    }
    // One round trip to Redis for all of them, the targets' batches in turns.
    await this.enqueueBatchJobs(interleave(perTarget));
    return pushes;
  }

  /** Every existing record of the target's enabled types (a new or re-enabled target). */
  async fanOutAll(tenantId: TenantId, targetId: string): Promise<number> {
    const target = await this.targets.get(tenantId, targetId);
    if (!target) return 0;
    let n = 0;
    for (const [type, c] of Object.entries(target.resourceTypes)) {
      if ((c as { enabled?: boolean }).enabled === false) continue;
      for (let after: string | undefined; ;) {
        const page = await this.golden.idsOfType(tenantId, type, after, 1000);
        if (!page.length) break;
        for (const r of page) {
          await this.links.bumpDesired(tenantId, [targetId], r.id, type, r.version);
          await this.enqueue(tenantId, targetId, r.id);
        }
        n += page.length;
        after = page[page.length - 1]!.id;
      }
    }
    return n;
  }

  /** The PushResource job: one step, then whatever its result asks for. */
  async handle(
    tenantId: TenantId,
    targetId: string,
    resourceId: string,
    jobId: string,
  ): Promise<PushStepResult> {
    let result: PushStepResult;
    for (let round = 0; ; round++) {
      result = await this.step.run(tenantId, targetId, resourceId);
      if (result.kind !== 'done' || !result.again || round >= 2) break;
    }
    await this.followUp(tenantId, targetId, resourceId, result, !jobId.startsWith('pushnext:'));
    return result;
  }

  /**
   * The PushBatch job (ADR 0604): the records go through the target's lanes in this process
   * (`PushLanes`), each record's step the PushResource job's own (its lock, read, plan, record).
   * A record another push holds, or that must retry, gets a job of its own, as from `handle`;
   * what the lanes hand back (the target waiting, its backlog full) is queued as a new batch.
   */
  async handleBatch(
    tenantId: TenantId,
    targetId: string,
    resourceIds: readonly string[],
  ): Promise<{ pushed: number; deferred: number }> {
    const ctx = await this.contexts.get(tenantId, targetId);
    // Paused or gone: the probe's backfill (or nothing) brings these records later.
    if (!ctx || !ctx.target.enabled || ctx.target.state === 'quarantined') return { pushed: 0, deferred: 0 };
    const outcomes = await this.lanes.run(tenantId, ctx.target, [...new Set(resourceIds)], PUSH_BATCH_SIZE);
    const deferred: string[] = [];
    let deferMs = 0;
    let pushed = 0;
    let failure: unknown;
    for (const o of outcomes) {
      if ('deferMs' in o) {
        deferred.push(o.resourceId);
        deferMs = Math.max(deferMs, o.deferMs);
      } else if ('error' in o) failure ??= o.error;
      else {
        pushed += 1;
        await this.followUp(tenantId, targetId, o.resourceId, o.result, false);
      }
    }
    if (deferred.length) await this.enqueueBatchJobs(batchesOf(tenantId, targetId, deferred), deferMs);
    // The job is retried: every record's step is level-triggered, so the pushed ones do nothing.
    if (failure !== undefined) throw failure;
    return { pushed, deferred: deferred.length };
  }

  /** What a step's result asks for next: a job of the record's own, after a delay. */
  private async followUp(
    tenantId: TenantId,
    targetId: string,
    resourceId: string,
    result: PushStepResult,
    followUp: boolean,
  ): Promise<void> {
    switch (result.kind) {
      case 'done':
        if (result.again) await this.enqueue(tenantId, targetId, resourceId, { followUp, delayMs: 50 });
        break;
      case 'busy':
      case 'wait':
      case 'retry':
        await this.enqueue(tenantId, targetId, resourceId, { followUp, delayMs: result.delayMs });
        break;
      default:
        break;
    }
  }

  /** Provision on demand: one push now, under the same lock and rate limit, with its account. */
  async pushNow(tenantId: TenantId, targetId: string, resourceId: string): Promise<PushNowResult> {
    const steps: PushTraceStep[] = [];
    const record = await this.golden.get(tenantId, resourceId);
    if (record)
      await this.links.bumpDesired(tenantId, [targetId], resourceId, record.resourceType, record.version);
    const result = await this.step.run(tenantId, targetId, resourceId, { sync: true, trace: steps });
    if (result.kind === 'retry' || result.kind === 'wait' || result.kind === 'busy')
      await this.enqueue(tenantId, targetId, resourceId, { delayMs: result.delayMs });
    return { result: result.kind, steps };
  }

  /** Parked (failed) links back to the queue: one resource, or all of the target's. */
  async retry(tenantId: TenantId, targetId: string, resourceId?: string): Promise<number> {
    const failed = await this.links.withStatus(
      tenantId,
      targetId,
      'failed',
      resourceId ? { resourceId } : {},
    );
    const ids = failed.map((l) => l.resourceId);
    await this.links.setStatus(tenantId, targetId, ids, 'pending', null);
    await this.links.markDirty(tenantId, targetId, ids);
    for (const id of ids) await this.enqueue(tenantId, targetId, id);
    return ids.length;
  }

  /** The admin confirms the held deprovisioning pushes: they go out, the target resumes. */
  async confirmHeld(tenantId: TenantId, targetId: string): Promise<number> {
    const held = await this.links.withStatus(tenantId, targetId, 'held');
    const ids = held.map((l) => l.resourceId);
    await this.links.setStatus(tenantId, targetId, ids, 'confirmed', null);
    await this.targets.resume(tenantId, targetId, 'held');
    this.contexts.forget(targetId);
    for (const id of ids) await this.enqueue(tenantId, targetId, id);
    return ids.length;
  }

  /** The admin discards them: the target keeps those accounts (until the records change again). */
  async discardHeld(tenantId: TenantId, targetId: string): Promise<number> {
    const held = await this.links.withStatus(tenantId, targetId, 'held');
    const ids = held.map((l) => l.resourceId);
    for (const link of held)
      await this.links.recordOutcome(tenantId, targetId, link.resourceId, {
        remoteId: link.remoteId,
        pushedState: link.pushedState,
        pushedHash: link.pushedHash,
        // What the target keeps is not the record's representation (it is deleted or out of scope).
        pushedStamp: null,
        pushedVersion: link.desiredVersion,
        pushedVersionRead: link.pushedVersion,
        status: 'synced',
        lastError: 'deprovisioning discarded by an admin',
      });
    await this.targets.resume(tenantId, targetId, 'held');
    this.contexts.forget(targetId);
    return ids.length;
  }

  /**
   * The PushCatchUp job: probe quarantined targets that are due (resume and re-enqueue on
   * success, a longer interval on failure), then re-enqueue dirty links whose job may be lost
   * (Redis restarted, a worker died between commit and enqueue). jobIds make repeats harmless.
   */
  async catchUp(
    options: { batch?: number; quietMs?: number } = {},
  ): Promise<{ ran: boolean; probed: number; resumed: number; enqueued: number }> {
    const holder = randomUUID();
    if (!(await this.gate.claimCatchUp(holder, CATCH_UP_LEASE_MS)))
      return { ran: false, probed: 0, resumed: 0, enqueued: 0 }; // the previous run goes on
    const renew = setInterval(() => {
      this.gate.renewCatchUp(holder, CATCH_UP_LEASE_MS).catch(() => undefined);
    }, CATCH_UP_LEASE_MS / 3);
    try {
      return { ran: true, ...(await this.catchUpOnce(options)) };
    } finally {
      clearInterval(renew);
      await this.gate.endCatchUp(holder).catch(() => undefined); // lapses by itself otherwise
    }
  }

  private async catchUpOnce(options: {
    batch?: number;
    quietMs?: number;
  }): Promise<{ probed: number; resumed: number; enqueued: number }> {
    let probed = 0;
    let resumed = 0;
    let enqueued = 0;
    enqueued += await this.closeGaps();
    for (const due of await this.targets.dueProbes(new Date())) {
      probed += 1;
      if (await this.probe(due.tenantId, due.id)) resumed += 1;
    }
    const dirtyByTarget: PushWork[][] = [];
    const backfilled: PushWork[][] = [];
    const backfillStates: Array<{ targetId: string; state: BackfillState | null }> = [];
    for (const t of await this.targets.listActive()) {
      // A paced backfill covers the target's dirty links (the scan would queue them all at once).
      const backfill = await this.gate.backfill(t.id);
      if (backfill) {
        const next = await this.continueBackfill(t, backfill);
        if (next) {
          backfilled.push(next.work);
          backfillStates.push({ targetId: t.id, state: next.state });
        }
        continue;
      }
      const after = this.scanCursor.get(t.id);
      const dirty = await this.links.dirty(t.id, {
        limit: options.batch ?? 2000,
        quietMs: options.quietMs ?? 10_000,
        ...(after ? { after } : {}),
      });
      this.scanCursor.set(t.id, dirty.length ? dirty[dirty.length - 1]!.resourceId : undefined);
      dirtyByTarget.push(
        dirty.map((d) => ({ tenantId: t.tenantId, targetId: t.id, resourceId: d.resourceId })),
      );
    }
    enqueued += await this.enqueueFairly(dirtyByTarget);
    // Backfills in turns too: one target's whole top-up ahead of the next idled the others.
    enqueued += await this.enqueueFairly(backfilled);
    for (const b of backfillStates) await this.gate.setBackfill(b.targetId, b.state);
    return { probed, resumed, enqueued };
  }

  /**
   * Levels the links of every enabled target not yet levelled on this Redis for its current
   * configuration: a new target (existing records reach it), a changed one (a type enabled), and
   * all of them after Redis came back empty (queued fan-out jobs, and the links they would have
   * raised, are gone). Postgres is the state: records with no link or a stale one, and live links
   * whose record is gone, are made dirty and enqueued; a quarantined target's wait for its probe.
   */
  async closeGaps(): Promise<number> {
    const levelled: Array<{ targetId: string; stamp: string }> = [];
    const head = once(() => this.headPriority());
    const backfills: Array<{ targetId: string; state: BackfillState | null }> = [];
    const work: PushWork[][] = [];
    for (const t of await this.targets.listEnabled()) {
      const stamp = String(t.updatedAt.getTime());
      if (await this.gate.levelled(t.id, stamp)) continue;
      const types = Object.entries(t.resourceTypes)
        .filter(([, c]) => (c as { enabled?: boolean }).enabled !== false)
        .map(([type]) => type);
      const ids = await this.links.closeGaps(t.tenantId, t.id, types);
      if (ids.length) this.logger.log({ targetId: t.id, resources: ids.length }, 'links levelled');
      if (ids.length >= this.statisticsAfterLinks)
        await this.links.refreshStatistics().catch((error: Error) =>
          // Autovacuum does it later anyway.
          this.logger.warn({ targetId: t.id, err: error.message }, 'link statistics not refreshed'),
        );
      if (t.state === 'active' && ids.length) {
        // The backfill (re)starts from the target's first record that wants a push: its first part
        // now, the rest tick by tick (`continueBackfill`), joining the queue's head.
        const started = await this.continueBackfill(t, { after: NIL_UUID, queued: 0, base: await head() });
        if (started) {
          work.push(started.work);
          backfills.push({ targetId: t.id, state: started.state });
        }
      }
      levelled.push({ targetId: t.id, stamp });
    }
    // Marked once enqueued: a crash in between levels again (idempotent), never skips.
    const enqueued = await this.enqueueFairly(work);
    for (const b of backfills) await this.gate.setBackfill(b.targetId, b.state);
    for (const l of levelled) await this.gate.markLevelled(l.targetId, l.stamp);
    return enqueued;
  }

  /**
   * The next part of a paced backfill: the work that tops the target's queued backfill jobs (its
   * dirty links up to the backfill's position) up to `backfillDepth`, in the backfill's priority
   * blocks, and the position after it (null: the links ran out, the backfill ends). Queueing a whole population at once
   * (300,000 jobs for three new targets) held Redis and the worker for half a minute, and the
   * pushes of every target with them.
   */
  private async continueBackfill(
    t: { tenantId: TenantId; id: string; rateLimit: number },
    state: BackfillState,
  ): Promise<{ work: PushWork[]; state: BackfillState | null } | null> {
    const depth = backfillDepth(t.rateLimit);
    const room = depth - (await this.links.dirtyThrough(t.id, state.after, depth));
    if (room <= 0) return null;
    const next = await this.links.dirty(t.id, { after: state.after, limit: room });
    return {
      work: next.map((d, i) => ({
        tenantId: t.tenantId,
        targetId: t.id,
        resourceId: d.resourceId,
        priority: backfillPriority(state.base, state.queued + i, t.rateLimit),
      })),
      state:
        next.length < room
          ? null
          : {
              after: next[next.length - 1]!.resourceId,
              queued: state.queued + next.length,
              base: state.base,
            },
    };
  }

  /** The priority of the backfill job at the push queue's head (1 when none is queued). */
  private async headPriority(): Promise<number> {
    const [job] = await this.jobs.queue(QueueName.Push).getJobs(['prioritized'], 0, 0, true);
    return job?.opts.priority ?? 1;
  }

  /** One probe of a quarantined target; true when it answered and was resumed. */
  async probe(tenantId: TenantId, targetId: string): Promise<boolean> {
    const ctx = await this.contexts.get(tenantId, targetId, true);
    if (!ctx || ctx.target.state !== 'quarantined') return false;
    const endpoint = Object.keys(ctx.target.resourceTypes)[0] ?? 'User';
    const type = await ctx.type(endpoint);
    try {
      await this.gate.reserve(targetId, ctx.target.rateLimit, 10_000);
      for await (const _page of ctx.client.list(type?.endpoint ?? '/Users', { count: 1, maxPages: 1 })) break;
    } catch (error) {
      const reason = error instanceof HttpRequestError ? error.message : String(error);
      const delay = nextProbeDelay(ctx.target.probeFailures + 1, this.step.tuning.probe);
      await this.targets.probeFailed(
        tenantId,
        targetId,
        `probe failed: ${reason}`,
        new Date(Date.now() + delay),
      );
      return false;
    }
    await this.targets.resume(tenantId, targetId, 'quarantined');
    await this.gate.failureStreak(targetId, false);
    this.contexts.forget(targetId);
    this.logger.log({ targetId }, 'target resumed after a good probe');
    // Its queued jobs ended while it was quarantined: what wants a push goes out as a backfill
    // from its first record, paced (the catch-up tops it up), not all at once.
    const started = await this.continueBackfill(ctx.target, {
      after: NIL_UUID,
      queued: 0,
      base: await this.headPriority(),
    });
    if (started) {
      await this.enqueueFairly([started.work]);
      await this.gate.setBackfill(targetId, started.state);
    }
    return true;
  }

  async enqueue(
    tenantId: TenantId,
    targetId: string,
    resourceId: string,
    options: { followUp?: boolean; delayMs?: number } = {},
  ): Promise<void> {
    await this.jobs.enqueue(
      JobName.PushResource,
      { v: 1, tenantId, targetId, resourceId },
      {
        jobId: pushJobId(targetId, resourceId, options.followUp),
        ...(options.delayMs ? { delayMs: Math.max(1, Math.round(options.delayMs)) } : {}),
      },
    );
  }

  /** `enqueue` for many resources of one target, in one round trip to Redis. */
  async enqueueBatch(tenantId: TenantId, targetId: string, resourceIds: readonly string[]): Promise<void> {
    await this.jobs.enqueueMany(
      JobName.PushResource,
      resourceIds.map((resourceId) => ({
        data: { v: 1 as const, tenantId, targetId, resourceId },
        options: { jobId: pushJobId(targetId, resourceId) },
      })),
    );
  }

  /** PushBatch jobs in one round trip to Redis, after `delayMs` when given. */
  private async enqueueBatchJobs(
    batches: readonly { tenantId: TenantId; targetId: string; resourceIds: string[] }[],
    delayMs = 0,
  ): Promise<void> {
    await this.jobs.enqueueMany(
      JobName.PushBatch,
      batches.map((b) => ({
        data: { v: 1 as const, tenantId: b.tenantId, targetId: b.targetId, resourceIds: b.resourceIds },
        options: delayMs > 0 ? { delayMs: Math.max(1, Math.round(delayMs)) } : {},
      })),
    );
  }

  /**
   * Work for several targets, one from each in turn (`interleave`), 500 jobs a round trip, each
   * at its own priority: a backfill's by level (`backfillPriority`), changes to records none, so
   * they go before every backfill.
   */
  private async enqueueFairly(byTarget: readonly (readonly PushWork[])[]): Promise<number> {
    const all = interleave(byTarget);
    for (let i = 0; i < all.length; i += 500)
      await this.jobs.enqueueMany(
        JobName.PushResource,
        all.slice(i, i + 500).map((w) => ({
          data: { v: 1 as const, tenantId: w.tenantId, targetId: w.targetId, resourceId: w.resourceId },
          options: {
            jobId: pushJobId(w.targetId, w.resourceId),
            ...(w.priority ? { priority: w.priority } : {}),
          },
        })),
      );
    return all.length;
  }

  /**
   * Read per event, not cached: a target added a moment ago must not miss changes. Fan-outs
   * running at once share one read (`Coalescer`: a call waits for the next read, which starts
   * after it was made, so it never sees targets older than its event).
   */
  private targetsFor(tenantId: TenantId): Promise<TargetRecord[]> {
    return this.enabledTargets.run(tenantId);
  }
}

/** Records one PushBatch job carries at most: a fan-out's share for one target (ADR 0604). */
export const PUSH_BATCH_SIZE = 64;

/** A committed golden-record version, as the outbox relays it. */
export interface ResourceChange {
  readonly tenantId: TenantId;
  readonly resourceType: string;
  readonly resourceId: string;
  readonly version: number;
}

function batchesOf(
  tenantId: TenantId,
  targetId: string,
  resourceIds: readonly string[],
): Array<{ tenantId: TenantId; targetId: string; resourceIds: string[] }> {
  const out: Array<{ tenantId: TenantId; targetId: string; resourceIds: string[] }> = [];
  for (let i = 0; i < resourceIds.length; i += PUSH_BATCH_SIZE)
    out.push({ tenantId, targetId, resourceIds: resourceIds.slice(i, i + PUSH_BATCH_SIZE) });
  return out;
}

/** `fn` called at most once, when first needed; later calls share its promise. */
function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => (result ??= fn());
}
