import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import {
  PushGoldenRepository,
  PushLockRepository,
  PushLogRepository,
  PushStepStore,
  TargetLinkRepository,
  TargetMembershipRepository,
  TargetRepository,
  type NewPushLogEntry,
  type PushAction,
  type PushGoldenRecord,
  type PushState,
  type TargetLinkRecord,
  type TenantId,
} from '@hub/persistence';
import { printValue, type JsonObject, type PatchOperation } from '@hub/scim';
import { HttpRequestError, sleep } from '@hub/scim-client';
import { planMembership } from '../membership';
import {
  isDeprovisioning,
  linkStamp,
  planPush,
  representationHash,
  type LinkState,
  type PushPlan,
} from '../plan';
import {
  classifyFailure,
  deletionAllowed,
  nextProbeDelay,
  retryDelay,
  DEFAULT_PROBE_SCHEDULE,
  jitter,
} from '../policies';
import { toRepresentation } from '../representation';
import { decideScope } from '../scope';
import type { LinkStatus } from '../target-config';
import { TargetContexts, type TargetContext, type TypeContext } from './target-context.service';
import { TargetGate } from './target-gate.service';

/** One line of a push's account (provision on demand shows them to the admin). */
export interface PushTraceStep {
  readonly step:
    | 'target'
    | 'lock'
    | 'scope'
    | 'plan'
    | 'match'
    | 'request'
    | 'response'
    | 'members'
    | 'threshold'
    | 'outcome';
  readonly detail: Record<string, unknown>;
}

export type PushStepResult =
  /** The link is up to date (or nothing was to be done). `again`: the golden record moved meanwhile. */
  | { readonly kind: 'done'; readonly again: boolean }
  /** Another push of this (target, resource) is in flight, or the target's slots are taken. */
  | { readonly kind: 'busy'; readonly delayMs: number }
  /** Rate limit or 429/503: come back later without spending an attempt. */
  | { readonly kind: 'wait'; readonly delayMs: number; readonly reason: string }
  /** A transient failure: retry after `delayMs` (an attempt was spent). */
  | { readonly kind: 'retry'; readonly delayMs: number; readonly error: string }
  /** Out of attempts, or a request the target rejects: the link is parked as failed. */
  | { readonly kind: 'parked'; readonly error: string }
  /** Target quarantined, disabled or gone; or the push is held by the deletion threshold. */
  | { readonly kind: 'paused'; readonly reason: string };

/** A push the target answered with the object it now holds (read for the attributes it owns). */
export interface PushedObject {
  readonly tenantId: TenantId;
  readonly targetId: string;
  readonly resourceId: string;
  readonly resourceType: string;
  readonly remoteId: string;
  readonly remote: JsonObject;
}

export interface PushStepOptions {
  /** Provision on demand: wait inline (bounded) for the lock, a slot and rate tokens. */
  readonly sync?: boolean;
  readonly trace?: PushTraceStep[];
  /** A batch's step: its slot comes from the lanes' pool (`PushLanes`). */
  readonly slot?: StepSlot;
  /**
   * A batch's step: the lock is held already (`lockMany`) and the link and record were read with
   * the batch's (`readMany`).
   */
  readonly prefetched?: PushState;
}

/** Tunables (tests shorten them). */
export interface PushTuning {
  /** Attempts before a link is parked as failed. */
  maxAttempts: number;
  /** Consecutive transient failures at one target before it is quarantined. */
  quarantineAfter: number;
  /** Longest wait for a rate token or a concurrency slot a queued push takes inline (longer: the job is delayed). */
  maxInlineWaitMs: number;
  retryBaseMs: number;
  probe: { baseMs: number; capMs: number };
}

export const DEFAULT_PUSH_TUNING: PushTuning = {
  maxAttempts: 6,
  quarantineAfter: 10,
  maxInlineWaitMs: 200,
  retryBaseMs: 1_000,
  probe: DEFAULT_PROBE_SCHEDULE,
};

class WaitSignal extends Error {
  constructor(
    readonly delayMs: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

interface Sent {
  action: PushAction;
  method: string;
  path: string;
}

class BusySignal extends Error {
  constructor(readonly delayMs: number) {
    super("all of the target's concurrency slots are taken");
  }
}

/**
 * Where a step's requests get the target's concurrency slot: taken with the first request's rate
 * token, released once the step's requests are sent. `resetStreak`: the target answered, so its
 * failure streak ends with the release.
 */
export interface StepSlot {
  readonly held: boolean;
  resetStreak: boolean;
  take(trace: PushTraceStep[], tokenWaitMs: number, mayDefer: boolean): Promise<void>;
  /** A later request's token under the held slot: waited for inline. */
  token(): Promise<void>;
  release(): Promise<void>;
}

/**
 * One rate token at `target`'s limit, waited for inline when at most `tokenWaitMs` off. Further
 * off: a step that may defer ends as waiting (`WaitSignal`); one that may not comes back for it.
 */
export async function reserveToken(
  gate: TargetGate,
  target: { id: string; rateLimit: number },
  tokenWaitMs: number,
  mayDefer: boolean,
): Promise<void> {
  for (;;) {
    const r = await gate.reserve(target.id, target.rateLimit, tokenWaitMs);
    if (r.reserved) {
      if (r.waitMs > 0) await sleep(r.waitMs);
      return;
    }
    if (mayDefer) throw new WaitSignal(r.waitMs + jitter(Math.min(1000, r.waitMs / 2 + 20)), 'rate limit');
    await sleep(Math.min(r.waitMs, 1_000));
  }
}

/**
 * The target's concurrency slot (ADR 0603): taken at the step's first request, not before the
 * lock and the reads, and held until the step ends — the concurrency limit is about requests in
 * flight at the target, and a slot held across the step's Postgres round trips left the target
 * idle under a busy database. A step waits for one a little (a step that finds none has done its
 * reads for nothing), then ends as busy. (A batch's steps take theirs from the lanes' pool of the
 * target's slots instead: `PushLanes`, ADR 0604.)
 */
class PushSlot implements StepSlot {
  /** Ends the target's failure streak with the release (one round trip). */
  resetStreak = false;
  private holder: string | undefined;

  constructor(
    private readonly gate: TargetGate,
    private readonly target: { id: string; concurrency: number; rateLimit: number },
    private readonly maxWaitMs: number,
  ) {}

  get held(): boolean {
    return this.holder !== undefined;
  }

  /**
   * The slot and the first request's rate token in one round trip. A token further off than
   * `tokenWaitMs` takes no slot: a step that may defer ends as waiting, one that may not (provision
   * on demand) comes back for both.
   */
  async take(trace: PushTraceStep[], tokenWaitMs: number, mayDefer: boolean): Promise<void> {
    const holder = randomUUID();
    const deadline = Date.now() + this.maxWaitMs;
    for (let pause = 5; ;) {
      const r = await this.gate.acquireWithToken(
        this.target.id,
        this.target.concurrency,
        holder,
        this.target.rateLimit,
        tokenWaitMs,
      );
      if (r.slot) {
        this.holder = holder;
        if (r.waitMs > 0) await sleep(r.waitMs);
        return;
      }
      if (r.waitMs > 0) {
        if (mayDefer)
          throw new WaitSignal(r.waitMs + jitter(Math.min(1000, r.waitMs / 2 + 20)), 'rate limit');
        await sleep(Math.min(r.waitMs, 1_000));
        continue;
      }
      if (Date.now() + pause > deadline) {
        trace.push({ step: 'lock', detail: { slots: 'all taken' } });
        throw new BusySignal(jitter(150));
      }
      await sleep(pause);
      pause = Math.min(pause * 2, 100);
    }
  }

  token(): Promise<void> {
    return reserveToken(this.gate, this.target, 10_000, false);
  }

  async release(): Promise<void> {
    const holder = this.holder;
    if (!holder) return;
    this.holder = undefined;
    await this.gate.release(this.target.id, holder, this.resetStreak).catch(() => undefined);
  }
}

/**
 * One level-triggered push of one golden record to one target (DESIGN §4): under the per-object
 * lock, read the current record and link, decide scope, compute the representation and the
 * minimal plan, send it under one of the target's concurrency slots and through the shared rate
 * limit, record the link and one provisioning-log entry per request. Never throws for the
 * target's answers: the result says what the caller (the job handler or provision on demand)
 * should do next.
 */
@Injectable()
export class PushStepService {
  private readonly logger = new Logger(PushStepService.name);
  tuning: PushTuning = { ...DEFAULT_PUSH_TUNING };

  constructor(
    private readonly contexts: TargetContexts,
    private readonly gate: TargetGate,
    private readonly locks: PushLockRepository,
    private readonly targets: TargetRepository,
    private readonly links: TargetLinkRepository,
    private readonly memberships: TargetMembershipRepository,
    private readonly golden: PushGoldenRepository,
    private readonly log: PushLogRepository,
    private readonly store: PushStepStore,
  ) {}

  async run(
    tenantId: TenantId,
    targetId: string,
    resourceId: string,
    options: PushStepOptions = {},
  ): Promise<PushStepResult> {
    const trace = options.trace ?? [];
    const ctx = await this.contexts.get(tenantId, targetId, options.sync);
    if (!ctx)
      return note(trace, 'target', { found: false }, { kind: 'paused', reason: 'the target does not exist' });
    const { target } = ctx;
    if (!target.enabled)
      return note(trace, 'target', { enabled: false }, { kind: 'paused', reason: 'the target is disabled' });
    if (target.state === 'quarantined')
      return note(
        trace,
        'target',
        { state: target.state, reason: target.stateReason },
        {
          kind: 'paused',
          reason: `the target is quarantined: ${target.stateReason ?? ''}`,
        },
      );
    if (options.prefetched) return this.step(ctx, resourceId, options, trace);
    const deadline = Date.now() + 15_000;
    for (;;) {
      const outcome = await this.locks.withLock(targetId, resourceId, () =>
        this.step(ctx, resourceId, options, trace),
      );
      if (outcome.locked) return outcome.value;
      if (!options.sync || Date.now() > deadline)
        return note(trace, 'lock', { held: 'by another push' }, { kind: 'busy', delayMs: jitter(300) });
      await sleep(50);
    }
  }

  private async step(
    ctx: TargetContext,
    resourceId: string,
    options: PushStepOptions,
    trace: PushTraceStep[],
  ): Promise<PushStepResult> {
    const { target } = ctx;
    const tenantId = target.tenantId;
    const entries: NewPushLogEntry[] = [];
    const slot: StepSlot =
      options.slot ?? new PushSlot(this.gate, target, options.sync ? 15_000 : this.tuning.maxInlineWaitMs);
    const read = options.prefetched ?? (await this.store.read(tenantId, target.id, resourceId));
    let link = read.link;
    const record = read.record;
    const resourceType = record?.resourceType ?? link?.resourceType;
    if (!resourceType) return note(trace, 'scope', { found: false }, { kind: 'done', again: false });
    const type = await ctx.type(resourceType);
    if (!type)
      return note(trace, 'scope', { resourceType, provisioned: false }, { kind: 'done', again: false });
    if (!link) {
      await this.links.bumpDesired(tenantId, [target.id], resourceId, resourceType, record?.version ?? 0);
      link = (await this.links.get(tenantId, target.id, resourceId))!;
    }
    const label = labelOf(record, link);
    const claims: string[] = [];
    let answered: JsonObject | undefined;
    const send = async <T>(
      sent: Sent,
      fn: () => Promise<T>,
      detail: Record<string, unknown> = {},
    ): Promise<T> => {
      // The first request takes the slot with its token; the step's later ones a token each.
      if (!slot.held)
        await slot.take(trace, options.sync ? 10_000 : this.tuning.maxInlineWaitMs, !options.sync);
      else await slot.token();
      trace.push({ step: 'request', detail: { method: sent.method, path: sent.path, ...detail } });
      const started = Date.now();
      try {
        const value = await fn();
        if (isObjectAnswer(value)) answered = value;
        const durationMs = Date.now() - started;
        // A create's log line names the object it made (the admin can find it at the target).
        const made = sent.action === 'create' && isObjectAnswer(value) ? { remoteId: String(value.id) } : {};
        entries.push(
          entry(ctx, link!, label, sent, 'ok', okStatus(sent.method), durationMs, { ...detail, ...made }),
        );
        trace.push({ step: 'response', detail: { status: okStatus(sent.method), durationMs } });
        return value;
      } catch (error) {
        const e = error instanceof HttpRequestError ? error : undefined;
        const durationMs = Date.now() - started;
        entries.push(
          entry(
            ctx,
            link!,
            label,
            sent,
            classifyFailure(e ?? {}) === 'throttled' ? 'retry' : 'failed',
            e?.status ?? null,
            durationMs,
            {
              ...detail,
              error: (error as Error).message.slice(0, 500),
            },
          ),
        );
        trace.push({
          step: 'response',
          detail: { status: e?.status ?? null, error: (error as Error).message.slice(0, 300) },
        });
        throw error;
      }
    };

    try {
      // Scope and representation from the current golden record.
      let desired: JsonObject | null = null;
      let absentReason: 'deleted' | 'out_of_scope' | undefined;
      if (!record || record.lifecycleState === 'deleted') {
        absentReason = 'deleted';
        trace.push({ step: 'scope', detail: { inScope: false, reason: 'the golden record is deleted' } });
      } else {
        const memberOf =
          type.scope.groups && resourceType !== 'Group'
            ? await this.golden.groupIdsOf(tenantId, resourceId)
            : [];
        const decision = decideScope(type.scope, record, memberOf);
        trace.push({ step: 'scope', detail: { ...decision } });
        if (!decision.inScope) absentReason = 'out_of_scope';
        else {
          const rep = await toRepresentation(record, type.schemas, type.mapping, ctx.capabilities);
          desired = rep.body;
          if (rep.issues.length) trace.push({ step: 'plan', detail: { transformIssues: rep.issues } });
        }
      }
      const linkState: LinkState = {
        remoteId: link.remoteId,
        pushedState: link.pushedState as JsonObject | null,
        pushedHash: link.pushedHash,
        status: link.status,
        uncertain: link.remoteId === null && (link.attempts > 0 || link.lastError !== null),
      };
      let plan = this.plan(ctx, type, desired, absentReason, linkState, resourceId);
      trace.push({ step: 'plan', detail: describePlan(plan) });

      // The accidental-deletion threshold.
      if (isDeprovisioning(plan, linkState) && link.status !== 'confirmed') {
        const held = await this.checkThreshold(ctx, link, trace, claims);
        if (held) {
          entries.push(
            entry(ctx, link, label, { action: 'skip', method: '', path: '' }, 'held', null, 0, {
              reason: held,
            }),
          );
          await this.log.append(entries);
          return { kind: 'paused', reason: held };
        }
      }

      // What this push satisfies: the record it read, and every fan-out made before it read the
      // link (a deleted record's version is the deletion's, which only the link knows).
      const pushedVersion =
        record && record.lifecycleState !== 'deleted'
          ? Math.max(record.version, link.desiredVersion)
          : link.desiredVersion;
      // A member about to be deleted leaves its groups first: not every server drops the
      // memberships of a deleted user, and afterwards the hub no longer knows its remote id.
      if (plan.kind === 'delete' && resourceType !== 'Group' && link.remoteId)
        await this.dropFromGroups(ctx, resourceId, link.remoteId, send);
      let remoteId = link.remoteId;
      let pushedState: JsonObject | null = linkState.pushedState;
      let status: LinkStatus = 'synced';
      for (let round = 0; round < 2; round++) {
        try {
          ({ remoteId, pushedState, status } = await this.execute(
            ctx,
            type,
            plan,
            linkState,
            send,
            trace,
            desired === null,
          ));
          break;
        } catch (error) {
          // 404 on an object we linked: it is gone at the target; create it again (once).
          if (
            round === 0 &&
            error instanceof HttpRequestError &&
            error.status === 404 &&
            desired &&
            linkState.remoteId
          ) {
            trace.push({ step: 'response', detail: { gone: linkState.remoteId } });
            plan = this.plan(ctx, type, desired, undefined, {
              remoteId: null,
              pushedState: null,
              pushedHash: null,
              status: 'pending',
            });
            continue;
          }
          throw error;
        }
      }

      // Groups: memberships after the group itself, for the members already linked.
      if (resourceType === 'Group' && desired && remoteId)
        await this.syncMembers(ctx, type, resourceId, remoteId, send, trace);
      if (resourceType === 'Group' && (plan.kind === 'delete' || plan.kind === 'forget'))
        await this.memberships.clear(target.id, resourceId);
      // The requests are sent: the slot goes back before the record (the limit is about requests
      // in flight), and the target answered, so its failure streak ends with it.
      if (plan.kind !== 'noop') slot.resetStreak = true;
      await slot.release();

      const logged = entries.length;
      const pushedHash = pushedState && status === 'synced' ? representationHash(pushedState) : null;
      let again = await this.store.record(
        tenantId,
        target.id,
        resourceId,
        {
          remoteId,
          pushedState,
          pushedHash,
          pushedStamp: linkStamp(type.stamp, desired, pushedState, pushedHash),
          pushedVersion,
          pushedVersionRead: link.pushedVersion,
          status,
        },
        entries,
      );
      // Work after the record (hooks, group hand-offs) leaves a window for a fan-out whose job
      // BullMQ dropped (this one is running): the link is read again at the end then. A hook
      // that had nothing to do (the target owns no attributes) opens no window.
      let after = false;
      if (answered && remoteId && status === 'synced' && this.afterPush) {
        after = await this.afterPush({
          tenantId,
          targetId: target.id,
          resourceId,
          resourceType,
          remoteId,
          remote: answered,
        }).catch((e: Error) => {
          this.logger.warn({ targetId: target.id, resourceId, err: e.message }, 'after-push hook failed');
          return true;
        });
      }
      trace.push({ step: 'outcome', detail: { status, remoteId, pushedVersion } });

      // Again after the record: a group push that added this member while it was being deleted
      // recorded that after the first pass read (its own check covers the other order). Before
      // anything forgets those memberships: they are the only trace of the add at the target.
      if (plan.kind === 'delete' && resourceType !== 'Group' && link.remoteId)
        after = (await this.dropFromGroups(ctx, resourceId, link.remoteId, send)) || after;
      // Groups that waited for this member, or must drop it.
      if (resourceType !== 'Group')
        after = (await this.touchGroups(ctx, resourceId, remoteId, status)) || after;
      if (entries.length > logged) await this.log.append(entries.slice(logged));
      if (after) again = await this.links.wantsPush(tenantId, target.id, resourceId);
      return { kind: 'done', again };
    } catch (error) {
      slot.resetStreak = false;
      await this.log.append(entries).catch(() => undefined);
      // Awaited here: the `finally` below waits for Redis, and a rejection returned unawaited
      // across that wait counts as unhandled (it ended the worker process).
      return await this.failed(ctx, link, error, trace);
    } finally {
      // Logged (or failed): the deprovision now counts in the log, or never happened.
      for (const claim of claims) await this.gate.releaseDeprovision(target.id, claim).catch(() => undefined);
      await slot.release();
    }
  }

  private plan(
    ctx: TargetContext,
    type: TypeContext,
    desired: JsonObject | null,
    absentReason: 'deleted' | 'out_of_scope' | undefined,
    link: LinkState,
    resourceId?: string,
  ): PushPlan {
    return planPush({
      desired,
      ...(absentReason ? { absentReason } : {}),
      ...(resourceId ? { resourceId } : {}),
      link,
      schemas: type.schemas,
      patchSupported: ctx.capabilities.patch,
      filterSupported: ctx.capabilities.filter,
      deprovision: type.config.deprovision,
      matchAttribute: type.config.matchAttribute,
      ...(ctx.capabilities.maxPatchOperations
        ? { maxPatchOperations: ctx.capabilities.maxPatchOperations }
        : {}),
    });
  }

  /** Sends the plan; returns what the link should say afterwards. */
  private async execute(
    ctx: TargetContext,
    type: TypeContext,
    plan: PushPlan,
    link: LinkState,
    send: <T>(sent: Sent, fn: () => Promise<T>, detail?: Record<string, unknown>) => Promise<T>,
    trace: PushTraceStep[],
    absent = false,
  ): Promise<{ remoteId: string | null; pushedState: JsonObject | null; status: LinkStatus }> {
    const { client } = ctx;
    const endpoint = type.endpoint;
    const at = (id: string) => `${endpoint}/${id}`;
    switch (plan.kind) {
      case 'noop': {
        if (!link.remoteId)
          return { remoteId: null, pushedState: null, status: absent ? 'out_of_scope' : 'pending' };
        if (!absent) return { remoteId: link.remoteId, pushedState: link.pushedState, status: 'synced' };
        const status: LinkStatus = link.status === 'out_of_scope' ? 'out_of_scope' : 'deprovisioned';
        return { remoteId: link.remoteId, pushedState: link.pushedState, status };
      }
      case 'forget':
        return { remoteId: link.remoteId, pushedState: link.pushedState, status: 'out_of_scope' };
      case 'reclaim': {
        // A create whose answer was lost may have made the object: find it by the hub's id and
        // deprovision it as if it were linked (never an object with another externalId).
        const page = await this.lookup(ctx, endpoint, plan.filter, send);
        const found = page?.resources.find((r) => r.externalId === plan.externalId);
        trace.push({ step: 'match', detail: { found: !!found, filter: plan.filter } });
        if (!found) return { remoteId: null, pushedState: null, status: 'out_of_scope' };
        const { id, meta: _meta, ...held } = found;
        const linked: LinkState = {
          remoteId: String(id),
          pushedState: held,
          pushedHash: null,
          status: 'synced',
        };
        return this.execute(
          ctx,
          type,
          this.plan(ctx, type, null, undefined, linked),
          linked,
          send,
          trace,
          true,
        );
      }
      case 'delete':
        await send({ action: 'delete', method: 'DELETE', path: at(link.remoteId!) }, () =>
          client.delete(endpoint, link.remoteId!).catch((e: unknown) => {
            if (e instanceof HttpRequestError && e.status === 404) return; // already gone
            throw e;
          }),
        );
        return { remoteId: null, pushedState: null, status: 'deprovisioned' };
      case 'disable': {
        if (plan.requests)
          for (const ops of plan.requests)
            await send({ action: 'disable', method: 'PATCH', path: at(link.remoteId!) }, () =>
              client.patch(endpoint, link.remoteId!, ops),
            );
        else
          await send({ action: 'disable', method: 'PUT', path: at(link.remoteId!) }, () =>
            client.replace(endpoint, link.remoteId!, plan.body),
          );
        return { remoteId: link.remoteId, pushedState: plan.body, status: 'deprovisioned' };
      }
      case 'patch':
        for (const ops of plan.requests)
          await send(
            { action: 'patch', method: 'PATCH', path: at(link.remoteId!) },
            () => client.patch(endpoint, link.remoteId!, ops),
            {
              operations: ops.length,
            },
          );
        return { remoteId: link.remoteId, pushedState: plan.body, status: 'synced' };
      case 'put':
        await send({ action: 'put', method: 'PUT', path: at(link.remoteId!) }, () =>
          client.replace(endpoint, link.remoteId!, plan.body),
        );
        return { remoteId: link.remoteId, pushedState: plan.body, status: 'synced' };
      case 'create': {
        const adopt = async (found: JsonObject) => {
          const remoteId = String(found.id);
          trace.push({ step: 'match', detail: { found: true, remoteId } });
          // Compare only what we manage: the target's own attributes are not ours to remove.
          const before: JsonObject = {};
          for (const key of Object.keys(plan.body))
            if (key !== 'schemas' && found[key] !== undefined) before[key] = found[key]!;
          const next = this.plan(ctx, type, plan.body, undefined, {
            remoteId,
            pushedState: before,
            pushedHash: null,
            status: 'pending',
          });
          const r = await this.execute(
            ctx,
            type,
            next,
            { remoteId, pushedState: before, pushedHash: null, status: 'pending' },
            send,
            trace,
          );
          return { ...r, remoteId };
        };
        const match = async () =>
          plan.match ? (await this.lookup(ctx, endpoint, plan.match, send))?.resources[0] : undefined;
        const found = await match();
        if (found) return adopt(found);
        trace.push({ step: 'match', detail: { found: false, filter: plan.match ?? null } });
        try {
          const created = await send({ action: 'create', method: 'POST', path: endpoint }, () =>
            client.create(endpoint, plan.body),
          );
          return { remoteId: String(created.id), pushedState: plan.body, status: 'synced' };
        } catch (e) {
          if (e instanceof HttpRequestError && e.status === 409) {
            const again = await match();
            if (again) return adopt(again);
          }
          throw e;
        }
      }
    }
  }

  /** Objects matching `filter` (at most two): `/.search`, or the list endpoint where there is none. */
  private async lookup(
    ctx: TargetContext,
    endpoint: string,
    filter: string,
    send: <T>(sent: Sent, fn: () => Promise<T>, detail?: Record<string, unknown>) => Promise<T>,
  ) {
    const { client } = ctx;
    return send(
      { action: 'match', method: 'GET', path: endpoint },
      () =>
        client.search(endpoint, { filter, count: 2 }).catch(async (e: unknown) => {
          // Not every server has /.search: the list endpoint with ?filter= is the baseline.
          if (e instanceof HttpRequestError && (e.status === 404 || e.status === 405 || e.status === 501)) {
            for await (const p of client.list(endpoint, { filter, count: 2, maxPages: 1 })) return p;
          }
          throw e;
        }),
      { filter },
    );
  }

  /** Member PATCHes of a linked group, in batches, progress recorded after each request. */
  private async syncMembers(
    ctx: TargetContext,
    type: TypeContext,
    groupId: string,
    remoteId: string,
    send: <T>(sent: Sent, fn: () => Promise<T>, detail?: Record<string, unknown>) => Promise<T>,
    trace: PushTraceStep[],
  ): Promise<void> {
    const { target } = ctx;
    const hubMembers = await this.golden.memberIds(target.tenantId, groupId);
    const pushedRows = await this.memberships.members(target.id, groupId);
    const desired = await this.links.remoteIds(target.id, hubMembers);
    // Rows from before the remote id was kept with the membership: the member's link may know it.
    const linked = await this.links.remoteIds(
      target.id,
      pushedRows.filter((r) => !r.remoteId).map((r) => r.memberId),
      true,
    );
    const pushed = new Map<string, string>();
    const orphaned: string[] = [];
    for (const row of pushedRows) {
      const r = row.remoteId ?? linked.get(row.memberId);
      if (r) pushed.set(row.memberId, r);
      else orphaned.push(row.memberId); // no remote id known anywhere: nothing to name in a removal
    }
    if (orphaned.length) await this.memberships.apply(target.id, groupId, [], orphaned);
    const plan = planMembership(pushed, desired, type.config.memberBatchSize ?? 100);
    trace.push({
      step: 'members',
      detail: {
        hubMembers: hubMembers.length,
        linked: desired.size,
        requests: plan.requests.length,
        waiting: hubMembers.length - desired.size,
      },
    });
    const path = `${type.endpoint}/${remoteId}`;
    for (const request of plan.requests) {
      if (request.removed.length) {
        await this.removeMembers(ctx, type.endpoint, remoteId, request.operations, send);
        await this.memberships.apply(target.id, groupId, [], request.removed);
        continue;
      }
      await send(
        { action: 'members', method: 'PATCH', path },
        () => ctx.client.patch(type.endpoint, remoteId, request.operations),
        { added: request.added.length },
      );
      await this.memberships.apply(
        target.id,
        groupId,
        request.added.map((id) => ({ memberId: id, remoteId: desired.get(id)! })),
        [],
      );
      // A member deprovisioned while this request was under way: its own push read the group's
      // memberships before this one was recorded, so the removal is this push's to make.
      const live = await this.links.remoteIds(target.id, request.added);
      const lost = request.added.filter((id) => !live.has(id) && desired.has(id));
      if (lost.length) {
        const ops = lost.map((id) => removeOp(desired.get(id)!));
        await this.removeMembers(ctx, type.endpoint, remoteId, ops, send);
        await this.memberships.apply(target.id, groupId, [], lost);
      }
    }
  }

  /**
   * Member removals (`members[value eq "…"]`). A remove that matches nothing is `400 noTarget`
   * at a strict server (the member already left, e.g. deleted there): that is the state we want,
   * so a failed batch is retried one removal at a time and noTarget counts as done.
   */
  private async removeMembers(
    ctx: TargetContext,
    endpoint: string,
    groupRemoteId: string,
    operations: readonly PatchOperation[],
    send: <T>(sent: Sent, fn: () => Promise<T>, detail?: Record<string, unknown>) => Promise<T>,
  ): Promise<void> {
    const sent: Sent = { action: 'members', method: 'PATCH', path: `${endpoint}/${groupRemoteId}` };
    const gone = (e: unknown) =>
      e instanceof HttpRequestError && (e.status === 404 || (e.status === 400 && e.scimType === 'noTarget'));
    try {
      await send(sent, () => ctx.client.patch(endpoint, groupRemoteId, operations), {
        removed: operations.length,
      });
      return;
    } catch (e) {
      if (!gone(e)) throw e;
      if (operations.length === 1 || (e as HttpRequestError).status === 404) return;
    }
    for (const op of operations)
      await send(sent, () => ctx.client.patch(endpoint, groupRemoteId, [op]), { removed: 1 }).catch(
        (e: unknown) => {
          if (!gone(e)) throw e;
        },
      );
  }

  /**
   * Removes a member from every group the target lists it in (as pushed), one PATCH per group,
   * under the remote id the membership was pushed with (its current one for older rows). False
   * when no group lists it.
   */
  private async dropFromGroups(
    ctx: TargetContext,
    memberId: string,
    memberRemoteId: string,
    send: <T>(sent: Sent, fn: () => Promise<T>, detail?: Record<string, unknown>) => Promise<T>,
  ): Promise<boolean> {
    const listings = await this.memberships.groupsListing(ctx.target.id, memberId);
    if (!listings.length) return false;
    const groupType = await ctx.type('Group');
    const remote = await this.links.remoteIds(
      ctx.target.id,
      listings.map((l) => l.groupId),
    );
    for (const { groupId, remoteId } of listings) {
      const groupRemoteId = remote.get(groupId);
      if (groupType && groupRemoteId)
        await this.removeMembers(
          ctx,
          groupType.endpoint,
          groupRemoteId,
          [removeOp(remoteId ?? memberRemoteId)],
          send,
        );
      await this.memberships.apply(ctx.target.id, groupId, [], [memberId]);
    }
    return true;
  }

  /**
   * After a member's push: groups waiting for its link, or groups that must drop it. False when the
   * target provisions no groups (nothing was read).
   */
  private async touchGroups(
    ctx: TargetContext,
    memberId: string,
    remoteId: string | null,
    status: LinkStatus,
  ): Promise<boolean> {
    const { target } = ctx;
    // A target that does not provision groups has no group to wake (their pushes would end at once).
    if (!(await ctx.type('Group'))) return false;
    let groups: string[] = [];
    if (status === 'synced' && remoteId) {
      groups = await this.memberships.groupsWaitingFor(target.tenantId, target.id, memberId, remoteId);
    } else if (status === 'deprovisioned' || status === 'out_of_scope') {
      groups = (await this.memberships.groupsListing(target.id, memberId)).map((l) => l.groupId);
    }
    if (groups.length) {
      await this.links.markDirty(target.tenantId, target.id, groups);
      this.onGroupsDirty?.(target.tenantId, target.id, groups);
    }
    return true;
  }

  /** A batch's locks (one statement): whether each resource's was taken. */
  lockMany(targetId: string, resourceIds: readonly string[]): Promise<boolean[]> {
    return this.locks.lockMany(targetId, resourceIds);
  }

  unlockMany(targetId: string, resourceIds: readonly string[]): Promise<void> {
    return this.locks.unlockMany(targetId, resourceIds);
  }

  /** A batch's links and records (one statement while none is running: `Coalescer`). */
  readMany(tenantId: TenantId, targetId: string, resourceIds: readonly string[]): Promise<PushState[]> {
    return Promise.all(resourceIds.map((id) => this.store.read(tenantId, targetId, id)));
  }

  /**
   * Set by @hub/reconcile: the attributes a target owns come back from its answer (ADR 0702).
   * Resolves to whether it did any work (then the link is read again before the step ends).
   */
  afterPush?: (pushed: PushedObject) => Promise<boolean>;

  /** Set by PushService: enqueues the groups a member push made dirty. */
  onGroupsDirty?: (tenantId: TenantId, targetId: string, groupIds: string[]) => void;

  private async checkThreshold(
    ctx: TargetContext,
    link: TargetLinkRecord,
    trace: PushTraceStep[],
    claims: string[],
  ): Promise<string | undefined> {
    const { target } = ctx;
    if (target.state === 'held') {
      await this.links.setStatus(
        target.tenantId,
        target.id,
        [link.resourceId],
        'held',
        'held: the target reached its deletion threshold',
      );
      const reason = `held: ${target.stateReason ?? 'deletion threshold reached'}`;
      trace.push({ step: 'threshold', detail: { held: true, reason } });
      return reason;
    }
    const threshold = target.deletionThreshold;
    const since = new Date(Date.now() - threshold.windowMinutes * 60_000);
    const [linked, recent] = await Promise.all([
      this.links.countLinked(target.id),
      this.log.countDeprovisions(target.tenantId, target.id, since),
    ]);
    const decision = deletionAllowed({ threshold, linked, recent });
    trace.push({
      step: 'threshold',
      detail: { linked, recent, limit: decision.limit, allowed: decision.allowed },
    });
    // Deprovisions in flight (checked, not yet logged) count too, so concurrent pushes of one
    // target cannot pass the check together: a claim in Redis per push, released once logged.
    const claim = randomUUID();
    if (decision.allowed && (await this.gate.claimDeprovision(target.id, decision.limit - recent, claim))) {
      claims.push(claim);
      return undefined;
    }
    const reason = `deletion threshold: ${recent} deprovisioning pushes within ${threshold.windowMinutes} min reached the limit of ${decision.limit} (${Math.round(threshold.share * 100)} % of ${linked} linked)`;
    await this.targets.hold(target.tenantId, target.id, reason);
    this.contexts.forget(target.id);
    await this.links.setStatus(target.tenantId, target.id, [link.resourceId], 'held', reason);
    return reason;
  }

  private async failed(
    ctx: TargetContext,
    link: TargetLinkRecord,
    error: unknown,
    trace: PushTraceStep[],
  ): Promise<PushStepResult> {
    const { target } = ctx;
    if (error instanceof BusySignal) return { kind: 'busy', delayMs: error.delayMs };
    if (error instanceof WaitSignal)
      return note(
        trace,
        'outcome',
        { wait: error.delayMs },
        { kind: 'wait', delayMs: error.delayMs, reason: error.reason },
      );
    if (!(error instanceof HttpRequestError)) {
      // Not the target's answer (database, Redis, a bug): let the job runner retry it.
      throw error;
    }
    const message = error.message.slice(0, 1000);
    const kind = classifyFailure(error);
    if (kind === 'throttled') {
      const delay = error.retryAfterMs ?? retryDelay(1, this.tuning.retryBaseMs);
      await this.gate.pause(target.id, delay);
      return note(
        trace,
        'outcome',
        { throttled: delay },
        { kind: 'wait', delayMs: delay + jitter(250), reason: message },
      );
    }
    if (kind === 'auth') {
      await this.quarantine(ctx, `the target refused the hub's credentials: ${message}`);
      return note(trace, 'outcome', { quarantined: true }, { kind: 'paused', reason: message });
    }
    const attempts = link.attempts + 1;
    if (kind === 'transient') {
      const streak = await this.gate.failureStreak(target.id, true);
      if (streak >= this.tuning.quarantineAfter) {
        await this.quarantine(ctx, `${streak} failures in a row, the last: ${message}`);
        await this.links.recordFailure(target.tenantId, target.id, link.resourceId, {
          status: 'pending',
          lastError: message,
          attempts: link.attempts,
        });
        return note(trace, 'outcome', { quarantined: true }, { kind: 'paused', reason: message });
      }
    }
    if (kind === 'rejected' || kind === 'conflict' || attempts >= this.tuning.maxAttempts) {
      await this.links.recordFailure(target.tenantId, target.id, link.resourceId, {
        status: 'failed',
        lastError: message,
        attempts,
      });
      return note(trace, 'outcome', { parked: true, attempts }, { kind: 'parked', error: message });
    }
    await this.links.recordFailure(target.tenantId, target.id, link.resourceId, {
      status: 'pending',
      lastError: message,
      attempts,
    });
    const delayMs = retryDelay(attempts, this.tuning.retryBaseMs);
    return note(
      trace,
      'outcome',
      { retryInMs: delayMs, attempts },
      { kind: 'retry', delayMs, error: message },
    );
  }

  private async quarantine(ctx: TargetContext, reason: string): Promise<void> {
    const { target } = ctx;
    const next = new Date(Date.now() + nextProbeDelay(0, this.tuning.probe));
    if (await this.targets.quarantine(target.tenantId, target.id, reason, next))
      this.logger.warn({ targetId: target.id, reason }, 'target quarantined');
    this.contexts.forget(target.id);
  }
}

function note<R>(
  trace: PushTraceStep[],
  step: PushTraceStep['step'],
  detail: Record<string, unknown>,
  result: R,
): R {
  trace.push({ step, detail });
  return result;
}

function isObjectAnswer(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as JsonObject).id === 'string';
}

function okStatus(method: string): number {
  return method === 'POST' ? 201 : method === 'DELETE' ? 204 : 200;
}

function labelOf(record: PushGoldenRecord | null, link: TargetLinkRecord): string | null {
  const a = record?.attributes ?? (link.pushedState as Record<string, unknown> | null) ?? {};
  const v = a.userName ?? a.displayName;
  return typeof v === 'string' ? v.slice(0, 200) : null;
}

function entry(
  ctx: TargetContext,
  link: TargetLinkRecord,
  label: string | null,
  sent: Sent,
  outcome: string,
  status: number | null,
  durationMs: number,
  detail: Record<string, unknown>,
): NewPushLogEntry {
  return {
    tenantId: ctx.target.tenantId,
    targetId: ctx.target.id,
    resourceId: link.resourceId,
    resourceType: link.resourceType,
    label,
    action: sent.action,
    method: sent.method || null,
    path: sent.path || null,
    status,
    outcome,
    detail,
    durationMs,
  };
}

function describePlan(plan: PushPlan): Record<string, unknown> {
  switch (plan.kind) {
    case 'patch':
      return { kind: plan.kind, requests: plan.requests.length, operations: plan.requests.flat() };
    case 'disable':
      return { kind: plan.kind, method: plan.requests ? 'PATCH' : 'PUT' };
    case 'create':
      return { kind: plan.kind, match: plan.match ?? null, body: plan.body };
    case 'put':
      return { kind: plan.kind, body: plan.body };
    case 'noop':
    case 'forget':
      return { kind: plan.kind, reason: plan.reason };
    default:
      return { kind: plan.kind };
  }
}

function removeOp(memberRemoteId: string): PatchOperation {
  return { op: 'remove', path: `members[value eq ${printValue(memberRemoteId)}]` };
}
