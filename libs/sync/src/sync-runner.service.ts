import { Injectable, Logger } from '@nestjs/common';
import {
  AggregationService,
  BatchAggregationService,
  type AssertionContext,
  type BatchOutcome,
  type ContributionDraft,
} from '@hub/aggregation';
import {
  createConnector,
  type SourceBatch,
  type SourceConnector,
  type SourceCursor,
  type SourceRecord,
} from '@hub/connectors';
import {
  AuditRepository,
  END_OF_TIME,
  EngineStore,
  SyncRunRepository,
  SyncSourceRepository,
  type HeldDeletions,
  type SyncFailure,
  type SyncProgress,
  type SyncRunRecord,
  type SyncSource,
  type TenantId,
} from '@hub/persistence';
import type { ResourceTypeSchemas } from '@hub/scim';
import { SecretBox } from '@hub/secrets';
import { recordToDraft } from './record-draft';
import {
  assessDeletions,
  resolveMembers,
  retryDelay,
  runError,
  syncSettings,
  type SyncSettings,
  type TypeDeletions,
} from './sync-policy';
import { SyncWithdrawals } from './sync-withdrawals.service';

/** Held keys stored on the run, per resource type, at most (the count is always exact). */
export const HELD_KEYS_LIMIT = 100_000;
/** Records a run must change before it refreshes the planner's statistics (a bulk load). */
export const STATISTICS_AFTER_CHANGES = 10_000;
/** Unseen keys read per query when applying a full pull's deletions. */
const DELETION_PAGE = 500;
/** Groups whose members were not all known, retried once at the end of the run (keys only). */
const PENDING_GROUPS_LIMIT = 10_000;

/** Secrets are bound to their tenant and source: a copied ciphertext does not decrypt elsewhere. */
export function sourceSecretBinding(tenantId: string, sourceId: string): string {
  return `source:${tenantId}:${sourceId}`;
}

interface RunState {
  run: SyncRunRecord;
  source: SyncSource;
  ctx: AssertionContext;
  startedAt: Date;
  schemas: Map<string, ResourceTypeSchemas>;
  /** Types whose records hold members (group_members): the per-record engine path. */
  perRecord: Set<string>;
  mode: 'full' | 'delta' | 'withdraw' | null;
  /** Every batch was `full` and the pull ended: silence is deletion. */
  fullPull: boolean;
  seenByType: Map<string, number>;
  deltaDeletions: Set<string>;
  pendingGroups: Map<string, string[]>;
  cursor: SourceCursor | undefined;
  totals: Required<Omit<SyncProgress, 'failures'>> & { parked: number; unresolvedMembers: number };
}

/**
 * Runs one sync run (ADR 0503): builds the source's connector, pulls (full, or delta from the
 * stored cursor), turns each batch into contributions through the engine (one transaction per
 * batch and type), records progress after every batch, then deletions — full pulls: the source's
 * live contributions the pull did not touch; deltas: what the source reported — behind the
 * mass-deletion safeguard. The cursor is stored only when the run completes.
 */
@Injectable()
export class SyncRunner {
  /** Changes after which a run refreshes the planner's statistics (tests lower it). */
  statisticsAfterChanges = STATISTICS_AFTER_CHANGES;

  private readonly logger = new Logger(SyncRunner.name);

  constructor(
    private readonly runs: SyncRunRepository,
    private readonly sources: SyncSourceRepository,
    private readonly aggregation: AggregationService,
    private readonly batches: BatchAggregationService,
    private readonly store: EngineStore,
    private readonly withdrawals: SyncWithdrawals,
    private readonly audit: AuditRepository,
    private readonly secretBox: SecretBox,
  ) {}

  /**
   * Runs a queued run, or restarts one a dead worker left running (records are whole views, so
   * pulling again is harmless). Any other state is a no-op, so a duplicated job does nothing.
   */
  async run(tenantId: TenantId, runId: string): Promise<SyncRunRecord | null> {
    const run = await this.runs.get(tenantId, runId);
    if (!run || !(run.status === 'queued' || (run.status === 'running' && !run.heldDeletions))) return run;
    const source = await this.sources.get(tenantId, run.sourceId);
    if (!source) return run; // deleted meanwhile: its runs went with it
    let settings: SyncSettings | undefined;
    for (let attempt = 0; ; attempt++) {
      const started = await this.runs.start(tenantId, runId);
      if (!started) return this.runs.get(tenantId, runId);
      const state = newState(run, source, started.startedAt);
      let connector: SourceConnector | undefined;
      try {
        settings = syncSettings(source.config);
        if (run.mode === 'withdraw') return await this.withdrawAll(state);
        if (!source.enabled) throw new SyncStop('config: the source is disabled');
        connector = await this.connect(state);
        await this.pull(state, connector);
        return await this.complete(state, settings);
      } catch (error) {
        // A source that did not answer is tried again within the job, from the start (records
        // are whole views; the liveness marks of the failed attempt stay valid).
        const delay = settings ? retryDelay(error, attempt, settings) : null;
        if (delay !== null) {
          this.logger.warn(
            { tenantId, runId, attempt: attempt + 1, delay, err: runError(error) },
            'sync run retrying',
          );
          await this.auditRun(state, 'sync.run.retrying', {
            attempt: attempt + 1,
            delayMs: delay,
            error: runError(error),
          });
          await connector?.close().catch(() => undefined);
          connector = undefined;
          await new Promise((resolve) => setTimeout(resolve, delay));
          continue;
        }
        const message = error instanceof SyncStop ? error.message : runError(error);
        const tried = attempt > 0 ? ` (after ${attempt + 1} attempts)` : '';
        await this.runs.finish(tenantId, runId, 'failed', `${message}${tried}`);
        await this.auditRun(state, 'sync.run.failed', { error: message, attempts: attempt + 1 });
        this.logger.warn({ tenantId, runId, err: message }, 'sync run failed');
        return this.runs.get(tenantId, runId);
      } finally {
        await connector?.close().catch(() => undefined);
      }
    }
  }

  /** The pull: every batch through the engine, then groups met before their members once more. */
  private async pull(state: RunState, connector: SourceConnector): Promise<void> {
    const { run, source } = state;
    const { tenantId } = state.ctx;
    const pull =
      run.mode === 'delta' && source.cursor
        ? connector.deltaPull(source.cursor as unknown as SourceCursor)
        : connector.fullPull();
    let allFull = true;
    for await (const batch of pull) {
      if (state.mode === null) {
        state.mode = batch.mode;
        if (batch.mode !== run.mode) await this.runs.setMode(tenantId, run.id, batch.mode);
      }
      if (batch.mode !== 'full') allFull = false;
      await this.applyBatch(state, batch);
    }
    state.fullPull = allFull && state.mode !== null;
    if (state.mode === null) state.fullPull = run.mode === 'full' || !source.cursor;
    await this.retryPendingGroups(state);
  }

  /** After the pull: deletions (or the hold), then the cursor and the run's end. */
  private async complete(state: RunState, settings: SyncSettings): Promise<SyncRunRecord | null> {
    const { run, source } = state;
    const { tenantId } = state.ctx;
    const held = await this.deletions(state, settings);
    const nextCursor = state.cursor ? { ...state.cursor } : null;
    if (held) {
      await this.runs.hold(tenantId, run.id, held, nextCursor);
      await this.auditRun(state, 'sync.run.held', {
        held: { count: held.count, share: held.share, threshold: held.threshold, byType: held.byType },
      });
      this.logger.warn({ tenantId, runId: run.id, count: held.count, share: held.share }, 'sync run held');
      return this.runs.get(tenantId, run.id);
    }
    if (nextCursor) await this.sources.saveCursor(tenantId, source.id, nextCursor);
    await this.refreshStatisticsAfterBulk(state);
    await this.runs.finish(tenantId, run.id, 'done', undefined, nextCursor);
    await this.auditRun(state, 'sync.run.done');
    this.logger.log({ tenantId, runId: run.id, ...state.totals }, 'sync run done');
    return this.runs.get(tenantId, run.id);
  }

  /** After a run that changed many records, the planner learns the tables' new shape at once. */
  private async refreshStatisticsAfterBulk(state: RunState): Promise<void> {
    const { created, updated, deleted } = state.totals;
    if (created + updated + deleted < this.statisticsAfterChanges) return;
    const started = Date.now();
    try {
      await this.store.refreshStatistics();
      this.logger.log(
        { runId: state.run.id, ms: Date.now() - started },
        'statistics refreshed after a bulk run',
      );
    } catch (error) {
      // Autovacuum does it later anyway: a failure here must not fail a run whose data committed.
      this.logger.warn({ runId: state.run.id, err: runError(error) }, 'statistics refresh failed');
    }
  }

  /**
   * A `withdraw` run (the step before deleting a source): nothing is pulled; every live
   * contribution of the source is listed and the run always waits for an admin, who sees how
   * many records of each type it feeds before anything is withdrawn. Nothing to withdraw: done.
   */
  private async withdrawAll(state: RunState): Promise<SyncRunRecord | null> {
    const { tenantId, sourceId } = state.ctx;
    const live = await this.sources.contributing(tenantId, sourceId);
    const count = Object.values(live).reduce((n, c) => n + c, 0);
    if (count === 0) {
      await this.runs.finish(tenantId, state.run.id, 'done');
      await this.auditRun(state, 'sync.run.done');
      return this.runs.get(tenantId, state.run.id);
    }
    const keys: Record<string, string[]> = {};
    for (const type of Object.keys(live))
      keys[type] = await this.sources.unseenKeys(
        tenantId,
        sourceId,
        type,
        END_OF_TIME,
        null,
        HELD_KEYS_LIMIT,
      );
    const held: HeldDeletions = {
      count,
      share: 1,
      threshold: 0,
      reasons: Object.entries(live).map(
        ([type, n]) => `${type}: withdrawing all ${n} contributions of the source was requested`,
      ),
      byType: Object.fromEntries(Object.entries(live).map(([t, n]) => [t, { live: n, count: n }])),
      keys,
    };
    await this.runs.hold(tenantId, state.run.id, held, null);
    await this.auditRun(state, 'sync.run.held', { held: { count, byType: held.byType } });
    return this.runs.get(tenantId, state.run.id);
  }

  /**
   * Applies the deletions an admin confirmed (the run is `running` again with its held keys), then
   * stores the cursor the run read and completes it. Deletions already applied are skipped, so a
   * retried job is harmless.
   */
  async confirm(tenantId: TenantId, runId: string): Promise<SyncRunRecord | null> {
    const run = await this.runs.get(tenantId, runId);
    if (!run || run.status !== 'running' || !run.heldDeletions) return run;
    const ctx: AssertionContext = {
      tenantId,
      sourceId: run.sourceId,
      actor: { type: 'system', id: `sync:${runId}` },
      channel: 'sync',
    };
    let deleted = 0;
    const apply = async (type: string, keys: readonly string[]) => {
      const n = await this.withdrawals.withdraw(ctx, type, keys);
      deleted += n;
      await this.runs.progress(tenantId, runId, { deleted: n });
    };
    if (run.mode === 'withdraw') {
      // Everything the source still feeds now (the held keys are only a sample past 100 000).
      for (const type of Object.keys(await this.sources.contributing(tenantId, run.sourceId))) {
        let after: string | null = null;
        for (;;) {
          const page = await this.sources.unseenKeys(
            tenantId,
            run.sourceId,
            type,
            END_OF_TIME,
            after,
            DELETION_PAGE,
          );
          if (page.length === 0) break;
          await apply(type, page);
          after = page[page.length - 1]!;
        }
      }
      // Re-enabled later, the source starts with a full pull: a delta would not bring back
      // the people it had before.
      await this.sources.saveCursor(tenantId, run.sourceId, null);
    } else {
      for (const [type, keys] of Object.entries(run.heldDeletions.keys)) {
        for (let i = 0; i < keys.length; i += DELETION_PAGE)
          await apply(type, keys.slice(i, i + DELETION_PAGE));
      }
      if (run.nextCursor) await this.sources.saveCursor(tenantId, run.sourceId, run.nextCursor);
    }
    await this.runs.finish(tenantId, runId, 'done');
    await this.audit.append(tenantId, {
      actorType: 'system',
      actorId: `sync:${runId}`,
      sourceId: run.sourceId,
      action: 'sync.run.confirmed_deletions',
      resourceType: 'SyncRun',
      resourceId: runId,
      detail: { deleted, held: run.heldDeletions.count },
    });
    return this.runs.get(tenantId, runId);
  }

  private async connect(state: RunState): Promise<SourceConnector> {
    const { source } = state;
    const secrets = source.sealedSecrets
      ? this.secretBox.open(source.sealedSecrets, sourceSecretBinding(source.tenantId, source.id))
      : {};
    const User = await this.schemasOf(state, 'User');
    const Group = await this.schemasOf(state, 'Group');
    return createConnector(source.kind, source.config, secrets, { schemas: { User, Group } });
  }

  private async schemasOf(state: RunState, type: string): Promise<ResourceTypeSchemas> {
    let schemas = state.schemas.get(type);
    if (!schemas) {
      schemas = await this.aggregation.prepare(state.ctx.tenantId, type);
      state.schemas.set(type, schemas);
      if (schemas.findAttribute(schemas.core, 'members') !== undefined) state.perRecord.add(type);
    }
    return schemas;
  }

  private async applyBatch(state: RunState, batch: SourceBatch): Promise<void> {
    const failures: SyncFailure[] = [];
    // The empty batch that only carries the cursor is not a page of the source.
    const page = batch.records.length > 0 || (batch.deletions?.length ?? 0) > 0 ? 1 : 0;
    const delta: SyncProgress = { pages: page, seen: batch.records.length };
    const byType = new Map<string, SourceRecord[]>();
    for (const r of batch.records) {
      const list = byType.get(r.resourceType);
      if (list) list.push(r);
      else byType.set(r.resourceType, [r]);
    }
    for (const [type, records] of byType) {
      state.seenByType.set(type, (state.seenByType.get(type) ?? 0) + records.length);
      let schemas: ResourceTypeSchemas;
      try {
        schemas = await this.schemasOf(state, type);
      } catch (error) {
        for (const r of records) failures.push(failureOf(r, `unknown resource type: ${String(error)}`));
        continue;
      }
      // The last record of a key wins within a batch (the engine takes each key once).
      const drafts = new Map<string, { draft: ContributionDraft; members?: readonly string[] }>();
      for (const r of records) {
        const out = recordToDraft(r, schemas);
        if ('failure' in out) failures.push(out.failure);
        else drafts.set(r.sourceKey, { draft: out.draft, ...(r.members ? { members: r.members } : {}) });
      }
      const outcome = state.perRecord.has(type)
        ? await this.assertEach(state, type, schemas, [...drafts.values()], failures)
        : await this.assertMany(
            state,
            type,
            schemas,
            [...drafts.values()].map((d) => d.draft),
            failures,
          );
      add(delta, outcome, state);
      // Full pulls: every key seen (failed records too: they still exist at the source) is marked.
      if (batch.mode === 'full')
        await this.sources.touchSeen(
          this.store.db,
          state.ctx.tenantId,
          state.source.id,
          type,
          records.map((r) => r.sourceKey),
          state.startedAt,
        );
    }
    for (const key of batch.deletions ?? []) state.deltaDeletions.add(key);
    if (batch.cursor) state.cursor = batch.cursor;
    delta.failed = failures.length;
    delta.failures = failures;
    state.totals.pages += page;
    state.totals.seen += batch.records.length;
    state.totals.failed += failures.length;
    await this.runs.progress(state.ctx.tenantId, state.run.id, delta);
  }

  /** One transaction for the batch; if it fails (one bad record), record by record to name the culprit. */
  private async assertMany(
    state: RunState,
    type: string,
    schemas: ResourceTypeSchemas,
    drafts: ContributionDraft[],
    failures: SyncFailure[],
  ): Promise<Partial<BatchOutcome>> {
    if (drafts.length === 0) return {};
    const once = (list: ContributionDraft[]) =>
      this.store.transaction(async (tx) => {
        const config = await this.aggregation.config(state.ctx.tenantId, type, tx, schemas);
        return this.batches.assertBatch(tx, state.ctx, config, list);
      });
    try {
      return await once(drafts);
    } catch (error) {
      if (drafts.length === 1) {
        failures.push({ resourceType: type, sourceKey: drafts[0]!.sourceKey, reason: reasonOf(error) });
        return {};
      }
    }
    const sum: Partial<BatchOutcome> = {};
    for (const d of drafts) {
      try {
        const o = await once([d]);
        for (const [k, v] of Object.entries(o))
          sum[k as keyof BatchOutcome] = (sum[k as keyof BatchOutcome] ?? 0) + v;
      } catch (error) {
        failures.push({ resourceType: type, sourceKey: d.sourceKey, reason: reasonOf(error) });
      }
    }
    return sum;
  }

  /** Types holding members: the per-record engine path, members resolved to golden ids first. */
  private async assertEach(
    state: RunState,
    type: string,
    schemas: ResourceTypeSchemas,
    drafts: Array<{ draft: ContributionDraft; members?: readonly string[] }>,
    failures: SyncFailure[],
  ): Promise<Partial<BatchOutcome>> {
    const sum = { created: 0, updated: 0, unchanged: 0, parked: 0, joined: 0 };
    const { tenantId, sourceId } = state.ctx;
    for (const { draft, members } of drafts) {
      try {
        const outcome = await this.store.transaction(async (tx) => {
          let attributes = draft.attributes;
          if (members) {
            const known = await this.sources.resolveKeys(tx, tenantId, sourceId, members);
            const resolved = resolveMembers(members, known);
            attributes = { ...attributes, members: resolved.members };
            if (resolved.unresolved.length > 0) {
              if (state.pendingGroups.size < PENDING_GROUPS_LIMIT || state.pendingGroups.has(draft.sourceKey))
                state.pendingGroups.set(draft.sourceKey, [...members]);
              else state.totals.unresolvedMembers += resolved.unresolved.length;
            } else state.pendingGroups.delete(draft.sourceKey);
          }
          return this.assertOne(tx, state, type, schemas, { ...draft, attributes });
        });
        sum[outcome]++;
      } catch (error) {
        failures.push({ resourceType: type, sourceKey: draft.sourceKey, reason: reasonOf(error) });
      }
    }
    return sum;
  }

  private async assertOne(
    tx: Parameters<Parameters<EngineStore['transaction']>[0]>[0],
    state: RunState,
    type: string,
    schemas: ResourceTypeSchemas,
    draft: ContributionDraft,
  ): Promise<'created' | 'updated' | 'unchanged' | 'parked' | 'joined'> {
    const { tenantId, sourceId } = state.ctx;
    const stored = await this.store.contributionByKey(tx, tenantId, sourceId, type, draft.sourceKey);
    if (stored?.resourceId) {
      const current = await this.store.lockGolden(tx, tenantId, type, stored.resourceId);
      if (current) {
        const config = await this.aggregation.config(tenantId, type, tx, schemas, current.ruleRevision);
        const out = await this.aggregation.assertLinked(tx, state.ctx, config, current, draft, stored);
        return out.contributionChanged ? 'updated' : 'unchanged';
      }
    }
    const config = await this.aggregation.config(tenantId, type, tx, schemas);
    const out = await this.aggregation.assertUnlinked(tx, state.ctx, config, draft, {
      stored: stored && stored.resourceId ? null : stored,
    });
    if (out.outcome === 'parked') return 'parked';
    return out.created ? 'created' : 'joined';
  }

  /**
   * Groups met before some of their members (nested groups later in the pull, members parked at
   * the time) are asserted once more at the end of the run with what resolves now; members still
   * unknown are left out and counted, and join when the group or the member next changes.
   */
  private async retryPendingGroups(state: RunState): Promise<void> {
    if (state.pendingGroups.size === 0) return;
    const { tenantId, sourceId } = state.ctx;
    for (const [key, members] of state.pendingGroups) {
      for (const type of state.perRecord) {
        const stored = await this.store.contributionByKey(this.store.db, tenantId, sourceId, type, key);
        if (!stored || stored.deletedAt) continue;
        const known = await this.sources.resolveKeys(this.store.db, tenantId, sourceId, members);
        const resolved = resolveMembers(members, known);
        state.totals.unresolvedMembers += resolved.unresolved.length;
        const before = Array.isArray(stored.attributes['members']) ? stored.attributes['members'].length : 0;
        if (resolved.members.length === before) continue;
        const schemas = await this.schemasOf(state, type);
        await this.store.transaction((tx) =>
          this.assertOne(tx, state, type, schemas, {
            resourceType: type,
            sourceKey: key,
            externalId: stored.externalId,
            attributes: { ...stored.attributes, members: resolved.members },
          }),
        );
      }
    }
  }

  /** Deletions of the run: applied, or returned as held when the safeguard trips. */
  private async deletions(state: RunState, settings: SyncSettings): Promise<HeldDeletions | null> {
    const { tenantId, sourceId } = state.ctx;
    // A delta that deleted nothing does not count the source's identities (a scan of them all).
    if (!state.fullPull && state.deltaDeletions.size === 0) return null;
    const live = await this.sources.liveCounts(tenantId, sourceId);
    const byType: Record<string, TypeDeletions> = {};
    let keysOf: (type: string) => AsyncGenerator<string[]>;
    if (state.fullPull) {
      const unseen = await this.sources.unseenCounts(tenantId, sourceId, state.startedAt);
      for (const [type, n] of Object.entries(unseen))
        byType[type] = { live: live[type] ?? 0, deletions: n, seen: state.seenByType.get(type) ?? 0 };
      const sources = this.sources;
      keysOf = async function* (type) {
        let after: string | null = null;
        for (;;) {
          const page = await sources.unseenKeys(
            tenantId,
            sourceId,
            type,
            state.startedAt,
            after,
            DELETION_PAGE,
          );
          if (page.length === 0) return;
          yield page;
          after = page[page.length - 1]!;
        }
      };
    } else {
      const typed = await this.sources.liveTypesOf(tenantId, sourceId, [...state.deltaDeletions]);
      for (const [type, keys] of typed) byType[type] = { live: live[type] ?? 0, deletions: keys.length };
      keysOf = async function* (type) {
        const keys = typed.get(type) ?? [];
        for (let i = 0; i < keys.length; i += DELETION_PAGE) yield keys.slice(i, i + DELETION_PAGE);
      };
    }
    const count = Object.values(byType).reduce((n, d) => n + d.deletions, 0);
    if (count === 0) return null;
    const decision = assessDeletions(byType, settings);
    if (decision.hold) {
      const keys: Record<string, string[]> = {};
      for (const type of Object.keys(byType)) {
        const list: string[] = (keys[type] = []);
        for await (const page of keysOf(type)) {
          list.push(...page.slice(0, HELD_KEYS_LIMIT - list.length));
          if (list.length >= HELD_KEYS_LIMIT) break;
        }
      }
      return {
        count,
        share: decision.share,
        threshold: settings.deletionThreshold,
        reasons: decision.reasons,
        byType: Object.fromEntries(
          Object.entries(byType).map(([t, d]) => [t, { live: d.live, count: d.deletions }]),
        ),
        keys,
      };
    }
    // Keyset paging (by key) moves on whether or not a page's withdrawals marked the rows deleted.
    for (const type of Object.keys(byType)) {
      for await (const page of keysOf(type)) {
        const n = await this.withdrawals.withdraw(state.ctx, type, page);
        state.totals.deleted += n;
        await this.runs.progress(tenantId, state.run.id, { deleted: n });
      }
    }
    return null;
  }

  private async auditRun(
    state: RunState,
    action: string,
    extra: Record<string, unknown> = {},
  ): Promise<void> {
    await this.audit
      .append(state.ctx.tenantId, {
        actorType: 'system',
        actorId: `sync:${state.run.id}`,
        sourceId: state.source.id,
        action,
        resourceType: 'SyncRun',
        resourceId: state.run.id,
        detail: {
          source: state.source.name,
          trigger: state.run.trigger,
          mode: state.mode ?? state.run.mode,
          ...state.totals,
          ...extra,
        },
      })
      .catch((error: Error) => this.logger.error({ err: error.message }, 'sync run audit failed'));
  }
}

function newState(run: SyncRunRecord, source: SyncSource, startedAt: Date): RunState {
  return {
    run,
    source,
    ctx: {
      tenantId: source.tenantId,
      sourceId: source.id,
      actor: { type: 'system', id: `sync:${run.id}` },
      channel: 'sync',
    },
    startedAt,
    schemas: new Map(),
    perRecord: new Set(),
    mode: run.mode === 'withdraw' ? 'withdraw' : null,
    fullPull: false,
    seenByType: new Map(),
    deltaDeletions: new Set(),
    pendingGroups: new Map(),
    cursor: undefined,
    totals: {
      pages: 0,
      seen: 0,
      created: 0,
      updated: 0,
      unchanged: 0,
      deleted: 0,
      failed: 0,
      parked: 0,
      unresolvedMembers: 0,
    },
  };
}

/** A run that cannot start for a reason an admin should read as is. */
class SyncStop extends Error {}

function failureOf(r: SourceRecord, reason: string): SyncFailure {
  return { resourceType: r.resourceType, sourceKey: r.sourceKey, reason };
}

function reasonOf(error: unknown): string {
  const e = error as { message?: string; constructor?: { name?: string } };
  const name = e?.constructor?.name;
  return `${name && name !== 'Error' ? `${name}: ` : ''}${String(e?.message ?? error)}`.slice(0, 500);
}

function add(
  delta: SyncProgress,
  o: Partial<BatchOutcome> & { parked?: number; joined?: number },
  state: RunState,
): void {
  const created = o.created ?? 0;
  const updated = (o.updated ?? 0) + (o.joined ?? 0) + (o.parked ?? 0);
  const unchanged = o.unchanged ?? 0;
  delta.created = (delta.created ?? 0) + created;
  delta.updated = (delta.updated ?? 0) + updated;
  delta.unchanged = (delta.unchanged ?? 0) + unchanged;
  state.totals.created += created;
  state.totals.updated += updated;
  state.totals.unchanged += unchanged;
  state.totals.parked += o.parked ?? 0;
}
