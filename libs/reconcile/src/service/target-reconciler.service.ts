import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import {
  PushGoldenRepository,
  PushLockRepository,
  ReconcileRunRepository,
  ReconcileStoreRepository,
  type LinkedObject,
  type ReconcileGolden,
  type ReconcileLink,
  type ReconcileRunRecord,
  type TenantId,
} from '@hub/persistence';
import {
  PushService,
  TargetContexts,
  TargetGate,
  decideScope,
  representationHash,
  representationNow,
  toRepresentation,
  type TargetContext,
  type TypeContext,
} from '@hub/push';
import type { JsonObject } from '@hub/scim';
import { HttpRequestError, sleep } from '@hub/scim-client';
import { classifyLinked, classifyUnlinked, managedPart, matchValue, type Classified } from '../classify';
import { getCi, holdsExactly } from '../compare';
import { ownedAgree, extractOwned } from '../owned';
import {
  actionFor,
  parseSettings,
  type ReconcileAction,
  type ReconcilePolicy,
  type TargetClass,
} from '../policy';
import { planRead, probeFindings, type ReadPlan } from '../read-plan';
import { LinkTally, type LinkTallyValue } from '../link-tally';
import { PageReader } from '../page-reader';
import { RemediationBatch } from '../remediation-batch';
import { ProgressBuffer } from '../progress-buffer';
import { ReportPage, type ReconcileSample } from '../report';
import { SeenSet } from '../seen-set';
import { TargetOwnedService, type OwnedContext } from './target-owned.service';

/** Objects asked for per page (the target may serve fewer). */
export const RECONCILE_PAGE_SIZE = 500;
/** Objects of one page classified and acted on at once. */
const PAGE_CONCURRENCY = 8;
/** Links read per batch when looking for missing objects. */
const LINK_PAGE = 5_000;

/** A run that cannot go on, for a reason an admin reads as is. */
export class ReconcileStop extends Error {}

interface RunContext {
  readonly tenantId: TenantId;
  readonly run: ReconcileRunRecord;
  readonly ctx: TargetContext;
  readonly type: TypeContext;
  readonly policy: ReconcilePolicy;
  readonly owned: OwnedContext | null;
  /**
   * The type's representation stamp, when a current link's pushed state may stand for the record's
   * representation (not with target-owned attributes, which are read from the golden record).
   */
  readonly stamp: string | null;
  readonly sampled: Map<string, number>;
  readonly startedAt: Date;
  /** Remediations of the current page, run after its classification. */
  tasks: Array<() => Promise<void>>;
  /** The page's `push` remediations (drifted objects), handed to `remediations` when it is done. */
  pushes: PushRemediation[];
  /** Drift remediations of several pages, marked and enqueued together. */
  readonly remediations: RemediationBatch<PushRemediation>;
  /** Pages whose other remediations (`tasks`) may still run while later pages are read (bounded). */
  readonly inflight: Array<Promise<void>>;
  /** Pages whose progress waits for their outcomes (their drift remediations' batch, mostly). */
  readonly reporting: Set<Promise<void>>;
  /** The run's row, written about once a second. */
  readonly progress: ProgressBuffer;
  /** The links the read saw that the walk for missing objects would read. */
  readonly seenLinks: LinkTally;
}

/** A drifted object to push: what the target holds goes on its link, then the push is queued. */
interface PushRemediation {
  readonly remote: JsonObject;
  readonly link: ReconcileLink;
  readonly desired: JsonObject | null;
  /** Records the outcome (`ok`, `skipped: …`, `failed: …`) on the page's report. */
  readonly done: (outcome: string) => void;
}

/** Pages whose remediation may still run while later pages are read and compared. */
const PAGES_IN_FLIGHT = 8;
/**
 * Drift remediations sent together (one compare-and-set statement, one Redis round trip): a batch
 * goes at this size, or when its oldest has waited PUSH_BATCH_AGE_MS, or when the read ends.
 * Page by page (5 at 1 % drift) the statement and the queueing cost three times as much an object.
 */
const PUSH_BATCH = 250;
const PUSH_BATCH_AGE_MS = 1_000;
/** Pages read from the target (and their rows from Postgres) ahead of the one being compared. */
const READ_AHEAD = 3;
/** Page requests at once (index paging; fewer when the target's concurrency is lower). */
const READ_PARALLEL = 2;

/**
 * Reconciliation of one target and resource type (ADR 0702): pages through the target (every
 * request through the target's shared rate limit and concurrency), compares each object with the
 * representation the hub would push, classifies it, and acts per the target's policy through the
 * push pipeline: remediation marks the link (what the target really holds, under the push's
 * per-object lock, compare-and-set) and enqueues the push, so a reconciliation never races a push.
 * Only ids of seen objects stay in memory (8 bytes each); the report grows by bounded samples.
 */
@Injectable()
export class TargetReconciler {
  private readonly logger = new Logger(TargetReconciler.name);

  constructor(
    private readonly runs: ReconcileRunRepository,
    private readonly store: ReconcileStoreRepository,
    private readonly contexts: TargetContexts,
    private readonly gate: TargetGate,
    private readonly locks: PushLockRepository,
    private readonly golden: PushGoldenRepository,
    private readonly push: PushService,
    private readonly ownedAttributes: TargetOwnedService,
  ) {}

  async run(tenantId: TenantId, run: ReconcileRunRecord): Promise<void> {
    const ctx = await this.contexts.get(tenantId, run.subjectId, true);
    if (!ctx) throw new ReconcileStop('the target does not exist');
    if (!ctx.target.enabled) throw new ReconcileStop('the target is disabled');
    if (ctx.target.state === 'quarantined')
      throw new ReconcileStop(`the target is quarantined: ${ctx.target.stateReason ?? ''}`);
    const type = await ctx.type(run.resourceType);
    if (!type) throw new ReconcileStop(`the target does not provision ${run.resourceType}`);
    const raw = ctx.target.resourceTypes[run.resourceType] as { reconcile?: unknown } | undefined;
    let policy: ReconcilePolicy;
    try {
      policy = parseSettings(raw?.reconcile).policy;
    } catch (error) {
      throw new ReconcileStop(`reconciliation settings: ${(error as Error).message}`);
    }
    const plan = planRead({
      requested: run.mode,
      filterSupported: ctx.capabilities.filter,
      probe: probeFindings(ctx.target.dialect),
      since:
        run.mode === 'delta'
          ? await this.runs.lastDoneStart(tenantId, run.subjectId, run.resourceType)
          : null,
    });
    if (plan.mode !== run.mode || plan.note) await this.runs.setMode(tenantId, run.id, plan.mode, plan.note);
    const owned = await this.ownedAttributes.owned(tenantId, ctx.target.id, run.resourceType);
    const state: RunContext = {
      tenantId,
      run,
      ctx,
      type,
      policy,
      owned,
      stamp: owned ? null : type.stamp,
      sampled: new Map(),
      startedAt: run.startedAt ?? new Date(),
      tasks: [],
      pushes: [],
      remediations: new RemediationBatch(
        (items) => this.pushAll(state, items),
        PUSH_BATCH,
        PUSH_BATCH_AGE_MS,
      ),
      inflight: [],
      reporting: new Set(),
      seenLinks: new LinkTally(),
      progress: new ProgressBuffer((delta) => this.runs.progress(tenantId, run.id, delta)),
    };
    const seen = new SeenSet();
    // The links a full read must see, tallied while the first pages are on their way (a scan of
    // every link of the target: at the end it was 60 ms at 100,000 links that nothing overlapped).
    const tally =
      plan.mode === 'full'
        ? this.store.activeLinksTally(ctx.target.id, run.resourceType, state.startedAt)
        : null;
    tally?.catch(() => undefined); // surfaced when awaited; never unhandled if the read stops first
    try {
      await this.read(state, plan, seen);
      if (tally) await this.missing(state, seen, await tally);
    } catch (error) {
      // What the completed pages found stays on the failed run's row, their drift remediated.
      await this.settle(state, 0).catch(() => undefined);
      await state.progress.flush().catch(() => undefined);
      throw error;
    }
    await state.progress.flush();
    this.logger.log(
      { tenantId, runId: run.id, target: ctx.target.name, seen: seen.count },
      'reconciliation read done',
    );
  }

  /**
   * Pages through the target; each page is classified and acted on in order. Pages are asked for
   * up to READ_AHEAD ahead of the comparison — with index paging up to READ_PARALLEL at once (as
   * the target's concurrency allows), with cursor paging one at a time — every request under the
   * target's shared slots and rate limit; each page's links and golden records are read as soon as
   * it is in. The target, Postgres, Redis and the comparison work at the same time.
   */
  private async read(state: RunContext, plan: ReadPlan, seen: SeenSet): Promise<void> {
    const { ctx, type } = state;
    const options = { ...(plan.filter ? { filter: plan.filter } : {}) };
    let requested = 0;
    const reader = new PageReader({
      pagination: plan.pagination,
      count: RECONCILE_PAGE_SIZE,
      parallel: Math.min(READ_PARALLEL, ctx.target.concurrency),
      ahead: READ_AHEAD,
      fetch: (start, count) => {
        const n = ++requested;
        return this.gated(ctx, () => ctx.client.page(type.endpoint, start, { ...options, count })).catch(
          (error: unknown) => {
            throw new ReconcileStop(`reading page ${n} of ${type.endpoint}: ${describe(error)}`);
          },
        );
      },
      prepare: (resources) =>
        this.store.linkedWithGolden(
          state.tenantId,
          ctx.target.id,
          state.run.resourceType,
          idsOf(resources),
          state.startedAt,
          state.stamp,
        ),
    });
    try {
      for (let next = await reader.next(); next; next = await reader.next()) {
        const resources = next.resources.filter((r) => typeof r.id === 'string' && r.id !== '');
        for (const r of resources) seen.add(r.id as string);
        await this.page(state, resources, next.prepared);
        // The last pages are in: their drift goes page by page, not in a batch the run would wait
        // for at its end.
        if (reader.lastAsked) void state.remediations.flush();
      }
    } finally {
      reader.end();
    }
    await this.settle(state, 0);
  }

  private async page(
    state: RunContext,
    resources: JsonObject[],
    linked: Map<string, LinkedObject>,
  ): Promise<void> {
    const { tenantId, ctx, type, run } = state;
    const report = new ReportPage(state.sampled);
    report.page();
    report.count('seen', resources.length);
    const unlinked = resources.filter((r) => !linked.has(r.id as string));
    const matchAttr = type.config.matchAttribute;
    const matches = await this.store.matchGolden(
      tenantId,
      run.resourceType,
      matchAttr,
      unlinked.map((r) => matchValue(r, matchAttr)).filter((v): v is string => v !== null),
    );
    const matchLinks = await this.store.linksByResourceIds(ctx.target.id, [...matches.values()]);
    const claimed = new Set<string>();

    // Most objects are linked and in sync: decided at once, without a promise each — a current
    // link's object by what was pushed (no record read, no representation built).
    const rest: JsonObject[] = [];
    // What `desiredAtOnce` built for an object that does not hold it, so `linked` does not build it again.
    const built = new Map<JsonObject, JsonObject>();
    const stamps: Array<{ resourceId: string; pushedHash: string }> = [];
    for (const remote of resources) {
      const hit = linked.get(remote.id as string);
      if (hit && hit.walkHash !== null) state.seenLinks.add(hit.walkHash);
      if (hit?.current && holdsExactly(hit.link.pushedState as JsonObject, remote)) {
        report.count('in_sync');
        continue;
      }
      const desired = hit && !hit.current ? this.desiredAtOnce(state, hit.golden) : null;
      if (!desired || !holdsExactly(desired, remote)) {
        if (desired) built.set(remote, desired);
        rest.push(remote);
        continue;
      }
      report.count('in_sync');
      // Pushed exactly this (its hash says so), before the stamp or under the same configuration
      // again: current from the next run on.
      const { link } = hit!;
      if (
        state.stamp &&
        hit!.clean &&
        link.pushedHash !== null &&
        link.pushedHash === representationHash(desired)
      )
        stamps.push({ resourceId: link.resourceId, pushedHash: link.pushedHash });
    }
    if (stamps.length && !run.dryRun) this.stampCurrent(state, stamps);
    // The others are independent (remediation locks per object): a few at a time.
    await forEachLimit(rest, PAGE_CONCURRENCY, async (remote) => {
      const remoteId = remote.id as string;
      const hit = linked.get(remoteId);
      if (hit) {
        await this.linked(state, report, remote, hit, built.get(remote));
        return;
      }
      const value = matchValue(remote, matchAttr);
      const matchId = value !== null ? matches.get(value.toLowerCase()) : undefined;
      const other = matchId ? matchLinks.get(matchId) : undefined;
      const linkedElsewhere =
        !!matchId && (claimed.has(matchId) || (!!other?.remoteId && other.remoteId !== remoteId));
      const decided = classifyUnlinked(matchId ? { resourceId: matchId, linkedElsewhere } : null);
      if (decided.class === 'unlinked_match') claimed.add(matchId!);
      await this.act(state, report, decided.class, {
        remote,
        remoteId,
        resourceId: decided.class === 'unlinked_match' ? matchId! : null,
        label: labelOf(remote),
      });
    });
    // Remediation (locks, link updates, enqueues) overlaps the next pages; drift remediations wait
    // for their batch. The page's progress is written once its actions have their outcomes.
    const { tasks, pushes } = state;
    state.tasks = [];
    state.pushes = [];
    await this.settle(state, PAGES_IN_FLIGHT - 1);
    const acted = forEachLimit(tasks, PAGE_CONCURRENCY, (t) => t());
    acted.catch(() => undefined); // surfaced by settle(); never unhandled if the read stops first
    state.inflight.push(acted);
    reportWhenActed(state, report, [acted, state.remediations.add(pushes)]);
  }

  /**
   * Waits until at most `keep` pages have remediations running (their first failure surfaces
   * here); with `keep` 0 also sends the last drift batch and waits for every page's progress.
   */
  private async settle(state: RunContext, keep: number): Promise<void> {
    while (state.inflight.length > keep) await state.inflight.shift();
    if (keep > 0) return;
    await state.remediations.flush();
    await Promise.all([...state.reporting]);
  }

  private async linked(
    state: RunContext,
    report: ReportPage,
    remote: JsonObject,
    hit: LinkedObject,
    /** The representation, when the page already built it (a live record in scope). */
    built?: JsonObject,
  ): Promise<void> {
    const { tenantId, ctx, type, run, owned } = state;
    const { link, golden } = hit;
    let desired: JsonObject | null = built ?? null;
    // A current link's pushed state is the representation the hub would push now.
    if (hit.current) desired = link.pushedState as JsonObject;
    else if (!built && golden && golden.lifecycleState !== 'deleted') {
      const memberOf =
        type.scope.groups && run.resourceType !== 'Group'
          ? await this.golden.groupIdsOf(tenantId, golden.id)
          : [];
      const scope = decideScope(
        type.scope,
        { id: golden.id, resourceType: run.resourceType, attributes: golden.attributes },
        memberOf,
      );
      if (scope.inScope)
        desired = (await toRepresentation(golden, type.schemas, type.mapping, ctx.capabilities)).body;
    }
    // What the target owns comes back as its contribution (not drift).
    if (owned && golden && golden.lifecycleState !== 'deleted') {
      const extracted = extractOwned(remote, owned.units, owned.schemas);
      if (!ownedAgree(golden.attributes, extracted, owned.units, owned.schemas)) {
        report.count('owned_changed');
        if (run.dryRun) report.action('absorb', 'planned');
        else {
          const ok = await this.ownedAttributes
            .absorb(
              tenantId,
              ctx.target.id,
              run.resourceType,
              golden.id,
              link.remoteId,
              remote,
              owned,
              golden.attributes,
            )
            .then(() => 'ok' as const)
            .catch((error: Error) => {
              this.logger.warn(
                { err: error.message, resourceId: golden.id },
                'owned attributes not absorbed',
              );
              return 'failed' as const;
            });
          report.action('absorb', ok);
        }
      }
    }
    // Most objects hold exactly what the hub pushed: no hash, no pushed state, no normalising.
    const decided =
      desired && holdsExactly(desired, remote)
        ? { class: 'in_sync' as const, link }
        : await this.classify(state, remote, link, desired);
    await this.act(state, report, decided.class, {
      remote,
      remoteId: link.remoteId,
      resourceId: link.resourceId,
      label: labelOf(remote),
      link: decided.link,
      desired,
      ...(decided.differences ? { differences: decided.differences } : {}),
    });
  }

  /**
   * The representation of a live record in scope, built synchronously (no expressions, no group
   * lookups), for the common case: the object holds exactly that (`linked` would say `in_sync`
   * and act on nothing). Null means: take the full way.
   */
  private desiredAtOnce(state: RunContext, golden: ReconcileGolden | null): JsonObject | null {
    const { type, run, ctx } = state;
    if (!golden || golden.lifecycleState === 'deleted' || state.owned) return null;
    if (type.scope.groups && run.resourceType !== 'Group') return null;
    const record = { id: golden.id, resourceType: run.resourceType, attributes: golden.attributes };
    if (!decideScope(type.scope, record, []).inScope) return null;
    return representationNow(golden, type.schemas, type.mapping, ctx.capabilities)?.body ?? null;
  }

  /**
   * Stamps links found holding exactly what the hub would push now (ADR 0702), beside the read:
   * only the next run gains from it, so a failure is logged and the run goes on.
   */
  private stampCurrent(state: RunContext, links: Array<{ resourceId: string; pushedHash: string }>): void {
    const { ctx, tenantId, run } = state;
    const stamped = this.store.stampCurrent(ctx.target.id, state.stamp!, links).then(
      () => undefined,
      (error: Error) =>
        this.logger.warn({ tenantId, runId: run.id, err: error.message }, 'links not stamped current'),
    );
    state.inflight.push(stamped);
  }

  /** The normalised comparison (ADR 0702), with the pushed state when it can add attributes. */
  private async classify(
    state: RunContext,
    remote: JsonObject,
    link: ReconcileLink,
    desired: JsonObject | null,
  ): Promise<Classified & { link: ReconcileLink }> {
    // The pushed state only adds attribute names when it differs from what the hub would push now
    // (its hash says so): read it then, not for every object. A link without a pushed hash came
    // with its pushed state.
    const pushedState =
      link.pushedHash === null
        ? link.pushedState
        : desired && link.pushedHash === representationHash(desired)
          ? null
          : await this.store.pushedState(state.ctx.target.id, link.resourceId);
    const withState = { ...link, pushedState };
    return {
      ...classifyLinked({
        remote,
        link: withState,
        desired,
        deprovision: state.type.config.deprovision,
        schemas: state.type.schemas,
        ...(state.owned ? { owned: state.owned.units } : {}),
      }),
      link: withState,
    };
  }

  /**
   * After a full read: links whose object the read did not see are missing at the target.
   * `links` tallies the links the walk would read, taken as the read began: a link that stops
   * being one during the read (pushed, deprovisioned) and was not seen only makes the tallies
   * differ, and the walk, which reads the links as they are now, decides.
   */
  private async missing(state: RunContext, seen: SeenSet, links: LinkTallyValue): Promise<void> {
    const { ctx, run } = state;
    // The read saw every link the walk would read: nothing can be missing.
    if (state.seenLinks.matches(links)) return;
    seen.seal();
    const walk = this.store.activeLinks(ctx.target.id, run.resourceType, state.startedAt, LINK_PAGE);
    // The next batch of links is on its way while this one is checked.
    let pending = walk.next();
    try {
      for (;;) {
        const next = await pending;
        if (next.done) break;
        pending = walk.next();
        pending.catch(() => undefined); // surfaced when awaited
        await this.missingOf(state, seen, next.value);
      }
    } finally {
      await walk.return(undefined).catch(() => undefined); // ends the walk's transaction if it stopped early
    }
  }

  private async missingOf(
    state: RunContext,
    seen: SeenSet,
    links: ReadonlyArray<{ resource_id: string; remote_id: string }>,
  ): Promise<void> {
    const gone = links.filter((l) => !seen.has(l.remote_id));
    if (!gone.length) return;
    const report = new ReportPage(state.sampled);
    const goldens = await this.store.goldenByIds(
      state.tenantId,
      gone.map((l) => l.resource_id),
    );
    for (const l of gone) {
      const g = goldens.get(l.resource_id);
      await this.act(state, report, 'missing', {
        remote: null,
        remoteId: l.remote_id,
        resourceId: l.resource_id,
        label: g ? labelOf(g.attributes) : null,
      });
    }
    const tasks = state.tasks;
    state.tasks = [];
    await forEachLimit(tasks, PAGE_CONCURRENCY, (t) => t());
    await state.progress.add(report.take());
  }

  /** Counts, samples and (unless dry run) acts on one classified object. */
  private async act(
    state: RunContext,
    report: ReportPage,
    cls: TargetClass,
    o: {
      remote: JsonObject | null;
      remoteId: string;
      resourceId: string | null;
      label: string | null;
      link?: ReconcileLink;
      desired?: JsonObject | null;
      differences?: ReconcileSample['differences'];
    },
  ): Promise<void> {
    report.count(cls);
    const action = actionFor(cls, state.policy);
    const sample =
      cls === 'in_sync'
        ? undefined
        : report.sample({
            class: cls,
            remoteId: o.remoteId,
            resourceId: o.resourceId,
            label: o.label,
            action,
            ...(o.differences ? { differences: o.differences } : {}),
          });
    if (action === 'none') {
      if (sample) sample.outcome = 'reported';
      return;
    }
    if (state.run.dryRun) {
      report.action(action, 'planned');
      if (sample) sample.outcome = 'planned';
      return;
    }
    const done = (outcome: string) => {
      report.action(action, outcome === 'ok' ? 'ok' : outcome.startsWith('failed') ? 'failed' : 'skipped');
      if (sample) sample.outcome = outcome;
    };
    if (action === 'push' && o.link && o.remote) {
      state.pushes.push({ remote: o.remote, link: o.link, desired: o.desired ?? null, done });
      return;
    }
    state.tasks.push(async () =>
      done(await this.remediate(state, action, o).catch((error: unknown) => `failed: ${describe(error)}`)),
    );
  }

  /**
   * The page's `push` remediations together (as `remediate` does each: under the push's
   * per-object lock, compare-and-set on the link, then the push queued): one statement locks and
   * marks the links (the locks last as long as it), one round trip queues the jobs. A push that
   * runs between the two finds the link already marked; the job queued after it finds nothing to
   * do. An object whose lock a push holds goes the one-at-a-time way, which waits for it.
   */
  private async pushAll(state: RunContext, items: readonly PushRemediation[]): Promise<void> {
    if (!items.length) return;
    const { tenantId, ctx } = state;
    const targetId = ctx.target.id;
    let busy: readonly PushRemediation[] = [];
    try {
      const { locked, marked } = await this.store.recordRemoteStatesLocked(
        targetId,
        items.map((i) => ({
          resourceId: i.link.resourceId,
          expect: { remoteId: i.link.remoteId, pushedHash: i.link.pushedHash },
          state: managedPart(i.remote, i.desired, i.link.pushedState as JsonObject | null),
          ...(i.desired === null ? { status: 'synced' as const } : {}),
        })),
      );
      busy = items.filter((i) => !locked.has(i.link.resourceId));
      await this.push.enqueueBatch(tenantId, targetId, [...marked]);
      for (const i of items)
        if (locked.has(i.link.resourceId))
          i.done(marked.has(i.link.resourceId) ? 'ok' : 'skipped: a push recorded a newer state meanwhile');
    } catch (error) {
      for (const i of items) i.done(`failed: ${describe(error)}`);
      return;
    }
    await forEachLimit(busy, PAGE_CONCURRENCY, async (i) => {
      const o = { ...i, remoteId: i.link.remoteId, resourceId: i.link.resourceId };
      i.done(await this.remediate(state, 'push', o).catch((error: unknown) => `failed: ${describe(error)}`));
    });
  }

  /** One remediation; `ok`, or `skipped: why` (a push got there first, the object is busy). */
  private async remediate(
    state: RunContext,
    action: ReconcileAction,
    o: {
      remote: JsonObject | null;
      remoteId: string;
      resourceId: string | null;
      link?: ReconcileLink;
      desired?: JsonObject | null;
    },
  ): Promise<string> {
    const { tenantId, ctx, run } = state;
    const targetId = ctx.target.id;
    const lockKey = o.resourceId ?? `orphan:${o.remoteId}`;
    const outcome = 'skipped: a push of this object is in flight';
    for (let attempt = 0; attempt < 5; attempt++) {
      const locked = await this.locks.withLock(targetId, lockKey, async () => {
        switch (action) {
          case 'push': {
            const link = o.link!;
            const state_ = managedPart(o.remote!, o.desired ?? null, link.pushedState as JsonObject | null);
            const revive = o.desired === null ? ('synced' as const) : undefined;
            const ok = await this.store.recordRemoteState(
              targetId,
              link.resourceId,
              { remoteId: link.remoteId, pushedHash: link.pushedHash },
              state_,
              revive,
            );
            if (!ok) return 'skipped: a push recorded a newer state meanwhile';
            await this.push.enqueue(tenantId, targetId, link.resourceId);
            return 'ok';
          }
          case 'recreate': {
            if (!(await this.store.forgetRemote(targetId, o.resourceId!, o.remoteId)))
              return 'skipped: the link changed meanwhile';
            await this.push.enqueue(tenantId, targetId, o.resourceId!);
            return 'ok';
          }
          case 'adopt': {
            // The base of the first PATCH: what the target holds of the attributes the hub manages.
            const record = await this.golden.get(tenantId, o.resourceId!);
            if (!record) return 'skipped: the record is gone';
            const desired = await toRepresentation(
              record,
              state.type.schemas,
              state.type.mapping,
              ctx.capabilities,
            );
            const ok = await this.store.adopt(
              tenantId,
              targetId,
              o.resourceId!,
              run.resourceType,
              o.remoteId,
              managedPart(o.remote!, desired.body, null),
            );
            if (!ok) return 'skipped: the record was linked meanwhile';
            await this.push.enqueue(tenantId, targetId, o.resourceId!);
            return 'ok';
          }
          case 'disable': {
            if (getCi(o.remote, 'active') === false) return 'ok';
            await this.gated(ctx, () =>
              ctx.capabilities.patch
                ? ctx.client.patch(state.type.endpoint, o.remoteId, [
                    { op: 'replace', path: 'active', value: false },
                  ])
                : ctx.client.replace(state.type.endpoint, o.remoteId, {
                    ...stripServer(o.remote!),
                    active: false,
                  }),
            );
            return 'ok';
          }
          case 'delete':
            await this.gated(ctx, () =>
              ctx.client.delete(state.type.endpoint, o.remoteId).catch((e: unknown) => {
                if (e instanceof HttpRequestError && e.status === 404) return;
                throw e;
              }),
            );
            return 'ok';
          default:
            return 'ok';
        }
      });
      if (locked.locked) return locked.value;
      await sleep(50 + attempt * 50);
    }
    return outcome;
  }

  /** One request to the target under its shared concurrency slots and rate limit (as pushes are). */
  private async gated<T>(ctx: TargetContext, fn: () => Promise<T>): Promise<T> {
    const holder = await this.admit(ctx);
    try {
      return await this.sending(ctx, fn);
    } finally {
      this.release(ctx, holder);
    }
  }

  /** A concurrency slot and a rate token (one round trip), waited for; resolves to the slot's holder. */
  private async admit(ctx: TargetContext): Promise<string> {
    const { target } = ctx;
    const holder = randomUUID();
    const deadline = Date.now() + 60_000;
    for (;;) {
      const r = await this.gate.acquireWithToken(
        target.id,
        target.concurrency,
        holder,
        target.rateLimit,
        10_000,
      );
      if (r.slot) {
        if (r.waitMs > 0) await sleep(r.waitMs);
        return holder;
      }
      if (Date.now() > deadline)
        throw new ReconcileStop(
          r.waitMs
            ? "the target's rate limit left no room for 60 s"
            : 'no free concurrency slot at the target for 60 s',
        );
      await sleep(Math.min(Math.max(r.waitMs, 25), 1_000));
    }
  }

  /** Sends under an admitted slot; a 429 or 503 pauses every request to the target. */
  private async sending<T>(ctx: TargetContext, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof HttpRequestError && (error.status === 429 || error.status === 503))
        await this.gate.pause(ctx.target.id, error.retryAfterMs ?? 1_000);
      throw error;
    }
  }

  /** Hands the slot back without waiting for Redis (the next request's round trip follows it). */
  private release(ctx: TargetContext, holder: string): void {
    void this.gate.release(ctx.target.id, holder).catch(() => undefined);
  }
}

/**
 * Adds a page's report to the run's progress once its actions have their outcomes. A function of
 * its own: a closure made in `page` would keep the page's links and golden records alive as long
 * as its drift remediations wait for their batch (20 MB at 1 % drift).
 */
function reportWhenActed(state: RunContext, report: ReportPage, actions: Array<Promise<void>>): void {
  const done = Promise.all(actions).then(() => state.progress.add(report.take()));
  done.catch(() => undefined); // surfaced by settle(0); never unhandled if the read stops first
  state.reporting.add(done);
  void done.then(
    () => state.reporting.delete(done),
    () => undefined,
  );
}

async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function idsOf(resources: readonly JsonObject[]): string[] {
  return resources.filter((r) => typeof r.id === 'string' && r.id !== '').map((r) => r.id as string);
}

function stripServer(o: JsonObject): JsonObject {
  const { id: _id, meta: _meta, ...rest } = o;
  return rest;
}

function labelOf(o: Record<string, unknown>): string | null {
  const v = getCi(o, 'userName') ?? getCi(o, 'displayName');
  return typeof v === 'string' ? v.slice(0, 200) : null;
}

export function describe(error: unknown): string {
  if (error instanceof ReconcileStop) return error.message;
  const e = error as { message?: string };
  return String(e?.message ?? error).slice(0, 500);
}
