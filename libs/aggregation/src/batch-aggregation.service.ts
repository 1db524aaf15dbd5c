import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  activeRecord,
  computeGolden,
  contributionHash,
  correlate,
  diffGolden,
  matchKeys,
  nextLifecycle,
  sameJson,
  type LifecycleRecord,
} from '@hub/engine';
import {
  AuditRepository,
  CorrelationCaseRepository,
  EngineBatchStore,
  EngineStore,
  type Db,
  type GoldenWrite,
  type LockedGolden,
  type StoredContribution,
  type StoredProvenance,
} from '@hub/persistence';
import {
  lifecycleOf,
  nameKeyOf,
  toEngine,
  withContribution,
  type AssertionContext,
  type ContributionDraft,
} from './aggregation.service';
import { mayCreate } from './engine-defaults';
import type { EngineConfig } from './engine-config.service';
import { correlationLockKeys, goldenMatchKeys, lookupsOf, matcherOf } from './match-keys';
import { provenanceFromJson, provenanceToJson } from './provenance-json';

export interface BatchOutcome {
  unchanged: number;
  created: number;
  joined: number;
  updated: number;
  parked: number;
  cases: number;
  /** Golden records that got a new version. */
  versions: number;
}

/** One golden record to resolve in a batch. */
interface Pending {
  id: string;
  current: LockedGolden | null;
  contributions: StoredContribution[];
  /** New record: how many of the batch's contributions found it. */
  founding: number;
}

/** The statements a batch's resolution writes. */
interface GoldenWrites {
  inserts: (GoldenWrite & { id: string; provenance: StoredProvenance })[];
  updates: (GoldenWrite & { id: string; provenance: StoredProvenance })[];
  provenanceOnly: { id: string; provenance: StoredProvenance }[];
  /** Records whose match keys are replaced by `keys`. */
  keyed: string[];
  keys: { resourceId: string; matcher: string; value: string }[];
  /** Records the resolution deleted (written at once: the per-record path). */
  deleted: Set<string>;
}

/**
 * The engine for batches of one source's contributions (connector syncs) and for recomputes:
 * the same decisions as AggregationService, with set-based reads and writes (ADR 0203). One
 * transaction per batch: contributions, golden records, provenance, match keys, outbox rows
 * and one audit row commit together.
 */
@Injectable()
export class BatchAggregationService {
  /**
   * Rows written between planner-statistics refreshes during bulk work, and the least time
   * between two (tests lower them). A first sync of 100,000 records grows the engine's tables
   * faster than autovacuum analyses them; planned for the tables as they were, the batch
   * statements scanned them (200 ms instead of 5 ms a batch for reading the locked records'
   * contributions at 100,000 identities).
   */
  statisticsAfterRows = 10_000;
  statisticsEveryMs = 15_000;

  private readonly logger = new Logger(BatchAggregationService.name);
  private writtenSinceStatistics = 0;
  private statisticsAt = 0;
  private refreshing = false;

  constructor(
    private readonly store: EngineStore,
    private readonly batch: EngineBatchStore,
    private readonly cases: CorrelationCaseRepository,
    private readonly audit: AuditRepository,
  ) {}

  /** Stores one source's contributions (`sourceKey` set, unique in the batch) and resolves what they touch. */
  async assertBatch(
    tx: Db,
    ctx: AssertionContext,
    config: EngineConfig,
    drafts: readonly ContributionDraft[],
  ): Promise<BatchOutcome> {
    const { tenantId } = ctx;
    const type = config.resourceType;
    const outcome: BatchOutcome = {
      unchanged: 0,
      created: 0,
      joined: 0,
      updated: 0,
      parked: 0,
      cases: 0,
      versions: 0,
    };
    const existing = await this.batch.contributionsByKeys(
      tx,
      tenantId,
      ctx.sourceId,
      type,
      drafts.map((d) => d.sourceKey),
    );
    const now = new Date();
    const work: { draft: ContributionDraft; hash: string; previous: StoredContribution | undefined }[] = [];
    for (const draft of drafts) {
      const previous = existing.get(draft.sourceKey);
      const hash = contributionHash({ ...draft, deletedAt: null });
      // An unchanged contribution does no work downstream (same hash).
      if (previous && previous.hash === hash && !previous.deletedAt && previous.resourceId)
        outcome.unchanged++;
      else work.push({ draft, hash, previous });
    }
    if (work.length === 0) return outcome;

    // Correlate the unlinked ones: advisory locks on every key value, then one lookup per matcher.
    const unlinked = work.filter((w) => !w.previous?.resourceId);
    const keysOf = new Map(
      unlinked.map((w) => [
        w.draft.sourceKey,
        matchKeys(
          { sourceId: ctx.sourceId, sourceKey: w.draft.sourceKey, attributes: w.draft.attributes },
          config.match,
          config.schemas,
        ),
      ]),
    );
    const lookupsBy = new Map([...keysOf].map(([k, keys]) => [k, lookupsOf(keys, config.match)]));
    await this.store.lockKeys(tx, correlationLockKeys(tenantId, type, [...lookupsBy.values()].flat()));
    const found = new Map<string, Map<string, string[]>>();
    for (const rule of config.match) {
      if (rule.rule.kind !== 'attribute') continue;
      const matcher = matcherOf(rule);
      const values = [...lookupsBy.values()].flatMap((l) =>
        l.flatMap((x) => (x && x.matcher === matcher ? x.values : [])),
      );
      found.set(matcher, await this.batch.findByMatchKeys(tx, tenantId, type, matcher, values));
    }
    const canCreate = mayCreate(await this.store.sourceRoles(tx, tenantId, ctx.sourceId), type);
    // Records created in this batch, by matcher and value, so a later draft joins them.
    const fresh = new Map<string, string>();
    const target = new Map<string, string | null>(); // sourceKey → golden id (null: parked)
    const newIds = new Set<string>();
    const caseFor = new Map<string, { candidates: readonly string[]; rule: number }>();
    for (const w of work) {
      if (w.previous?.resourceId) {
        target.set(w.draft.sourceKey, w.previous.resourceId);
        continue;
      }
      const keys = keysOf.get(w.draft.sourceKey)!;
      const lookups = lookupsBy.get(w.draft.sourceKey)!;
      const candidates = lookups.map((l) => {
        if (!l) return [];
        const ids = new Set<string>();
        for (const v of l.values) {
          for (const id of found.get(l.matcher)?.get(v) ?? []) ids.add(id);
          const mine = fresh.get(`${l.matcher}\u0000${v}`);
          if (mine) ids.add(mine);
        }
        return [...ids];
      });
      const decision = correlate(keys, candidates, { mayCreate: canCreate });
      if (decision.outcome === 'join') {
        target.set(w.draft.sourceKey, decision.resourceId);
      } else if (decision.outcome === 'create') {
        const id = randomUUID();
        newIds.add(id);
        target.set(w.draft.sourceKey, id);
        for (const l of lookups) if (l) for (const v of l.values) fresh.set(`${l.matcher}\u0000${v}`, id);
      } else {
        target.set(w.draft.sourceKey, null);
        if (decision.outcome === 'case') caseFor.set(w.draft.sourceKey, decision);
      }
    }

    const existingIds = [
      ...new Set([...target.values()].filter((id): id is string => id !== null && !newIds.has(id))),
    ];
    const locked = await this.batch.lockMany(tx, tenantId, type, existingIds);
    // Where each contribution goes: its golden record, or parked (null). Ids are known before
    // the write (a stored contribution keeps its id), so new golden records are written first and
    // their contributions name them at once (no second pass to link them).
    const goesTo = new Map<string, string | null>();
    const pending = new Map<string, Pending>();
    for (const w of work) {
      const id = target.get(w.draft.sourceKey) ?? null;
      const current = id ? (locked.get(id) ?? null) : null;
      if (id === null || (!newIds.has(id) && !current)) {
        // Parked; or the record went away meanwhile: kept, rejoins on the next sweep.
        goesTo.set(w.draft.sourceKey, null);
        outcome.parked++;
        continue;
      }
      goesTo.set(w.draft.sourceKey, id);
      let p = pending.get(id);
      if (!p)
        pending.set(id, (p = { id, current, contributions: current?.contributions ?? [], founding: 0 }));
      const c: StoredContribution = {
        id: w.previous?.id ?? randomUUID(),
        sourceId: ctx.sourceId,
        sourceKey: w.draft.sourceKey,
        resourceType: type,
        externalId: w.draft.externalId,
        resourceId: id,
        attributes: w.draft.attributes,
        hash: w.hash,
        assertedAt: now,
        deletedAt: null,
      };
      p.contributions = withContribution(p.contributions, c);
      if (newIds.has(id)) {
        if (++p.founding === 1) outcome.created++;
        else outcome.joined++;
      } else if (w.previous?.resourceId) outcome.updated++;
      else outcome.joined++;
    }
    const writes = await this.resolveMany(tx, ctx, config, [...pending.values()], {
      assertedBy: ctx.sourceId,
    });
    await this.batch.insertMany(tx, tenantId, type, writes.inserts);
    const saved = await this.batch.saveContributions(
      tx,
      tenantId,
      ctx.sourceId,
      type,
      work.map((w) => {
        const id = goesTo.get(w.draft.sourceKey) ?? null;
        return {
          sourceKey: w.draft.sourceKey,
          externalId: w.draft.externalId,
          // A record the resolution deleted keeps its contributions unlinked (as its deletion leaves them).
          resourceId: id && !writes.deleted.has(id) ? id : null,
          attributes: w.draft.attributes,
          hash: w.hash,
          assertedAt: now,
        };
      }),
    );
    outcome.versions = await this.writeGolden(tx, ctx, config, writes, { insertsDone: true });
    this.noteWritten(work.length + outcome.versions);
    for (const w of work) {
      const c = caseFor.get(w.draft.sourceKey);
      if (!c || goesTo.get(w.draft.sourceKey) !== null) continue;
      const contributionId = saved.get(w.draft.sourceKey)!;
      if (await this.cases.ignored(tx, tenantId, contributionId, c.candidates)) continue;
      await this.cases.open(tx, tenantId, {
        resourceType: type,
        contributionId,
        candidates: c.candidates,
        rule: c.rule,
      });
      outcome.cases++;
    }
    await this.audit.append(
      tenantId,
      {
        actorType: ctx.actor.type,
        actorId: ctx.actor.id,
        sourceId: ctx.sourceId,
        action: `engine.${type}.batch`,
        resourceType: type,
        requestId: ctx.requestId ?? null,
        detail: { channel: ctx.channel, ...outcome },
      },
      tx,
    );
    return outcome;
  }

  /** Resolves locked records again under the current rules (recompute); returns how many changed. */
  async recomputeMany(
    tx: Db,
    ctx: AssertionContext,
    config: EngineConfig,
    ids: readonly string[],
  ): Promise<number> {
    const locked = await this.batch.lockMany(tx, ctx.tenantId, config.resourceType, ids);
    const writes = await this.resolveMany(
      tx,
      ctx,
      config,
      [...locked.values()].map((g) => ({
        id: g.id,
        current: g,
        contributions: g.contributions,
        founding: 0,
      })),
      { reindex: true },
    );
    return this.writeGolden(tx, ctx, config, writes, { reindex: true });
  }

  /**
   * Refreshes the engine tables' statistics, on a connection of its own and without waiting,
   * once enough rows were written since the last refresh (it sees what has committed by then).
   */
  private noteWritten(rows: number): void {
    this.writtenSinceStatistics += rows;
    if (this.refreshing || this.writtenSinceStatistics < this.statisticsAfterRows) return;
    if (Date.now() - this.statisticsAt < this.statisticsEveryMs) return;
    this.refreshing = true;
    this.writtenSinceStatistics = 0;
    this.statisticsAt = Date.now();
    void this.store
      .refreshStatistics()
      .then(() =>
        this.logger.log(
          { ms: Date.now() - this.statisticsAt },
          'engine statistics refreshed during bulk work',
        ),
      )
      .catch((error: Error) => this.logger.warn({ err: error.message }, 'engine statistics not refreshed'))
      .finally(() => (this.refreshing = false));
  }

  /** Writes what `resolveMany` decided; returns how many records got a new version. */
  private async writeGolden(
    tx: Db,
    ctx: AssertionContext,
    config: EngineConfig,
    writes: GoldenWrites,
    options: { reindex?: boolean; insertsDone?: boolean },
  ): Promise<number> {
    const { tenantId } = ctx;
    if (!options.insertsDone) await this.batch.insertMany(tx, tenantId, config.resourceType, writes.inserts);
    await this.batch.updateMany(tx, tenantId, writes.updates);
    await this.batch.saveProvenanceMany(tx, tenantId, writes.provenanceOnly);
    if (config.indexesKeys || options.reindex)
      await this.batch.replaceMatchKeysMany(tx, tenantId, config.resourceType, writes.keyed, writes.keys);
    return writes.inserts.length + writes.updates.length;
  }

  private async resolveMany(
    tx: Db,
    ctx: AssertionContext,
    config: EngineConfig,
    records: readonly Pending[],
    options: { reindex?: boolean; assertedBy?: string },
  ): Promise<GoldenWrites> {
    const now = new Date();
    const writes: GoldenWrites = {
      inserts: [],
      updates: [],
      provenanceOnly: [],
      keyed: [],
      keys: [],
      deleted: new Set(),
    };
    const { inserts, updates, provenanceOnly, keyed, keys } = writes;
    for (const r of records) {
      const contributions = r.contributions.map(toEngine);
      const live = contributions.filter((c) => !c.deletedAt);
      let lifecycle: LifecycleRecord = r.current ? lifecycleOf(r.current) : activeRecord(now);
      if (config.lifecycle && options.assertedBy) {
        const asserted = r.contributions.find((c) => c.sourceId === options.assertedBy)?.attributes['active'];
        lifecycle = nextLifecycle(
          lifecycle,
          {
            kind: 'asserted',
            sourceId: options.assertedBy,
            ...(typeof asserted === 'boolean' ? { active: asserted } : {}),
          },
          now,
          config.lifecycle,
        ).record;
      }
      if (r.current && (live.length === 0 || lifecycle.state === 'deleted')) {
        // Rare in a batch: the per-record path knows how (group memberships, outbox, audit).
        await this.deleteOne(tx, ctx, r.current);
        writes.deleted.add(r.id);
        continue;
      }
      const previousProvenance = r.current ? provenanceFromJson(r.current.provenance) : [];
      const result = await computeGolden({
        contributions,
        rules: config.rules,
        now,
        ...(r.current
          ? { previous: { resource: r.current.attributes, provenance: previousProvenance } }
          : {}),
        lifecycle: { state: lifecycle.state },
      });
      const attributes = result.resource;
      if (Array.isArray(attributes['members']))
        throw new Error(`${config.resourceType} holds members: use the per-record path`);
      const write = {
        id: r.id,
        attributes,
        nameKey: nameKeyOf(config.resourceType, attributes),
        lifecycleState: lifecycle.state,
        suspendedAt: lifecycle.state === 'suspended' ? lifecycle.since : null,
        deleteAfter: lifecycle.state === 'suspended' ? (lifecycle.deleteAfter ?? null) : null,
        provenance: provenanceToJson(result.provenance),
      };
      const reindex = (force: boolean) => {
        const mine = config.indexesKeys ? goldenMatchKeys(attributes, config.match, config.schemas) : [];
        // A new version whose match keys are those of the version before keeps its stored keys
        // (a change of the match rules recomputes with `reindex`, which rewrites them all).
        if (
          !force &&
          r.current &&
          sameKeys(mine, goldenMatchKeys(r.current.attributes, config.match, config.schemas))
        )
          return;
        keyed.push(r.id);
        for (const k of mine) keys.push({ resourceId: r.id, ...k });
      };
      if (!r.current) {
        inserts.push(write);
        reindex(true);
        continue;
      }
      const changed =
        diffGolden(r.current.attributes, attributes, config.schemas).length > 0 ||
        r.current.lifecycleState !== write.lifecycleState ||
        r.current.deleteAfter?.getTime() !== write.deleteAfter?.getTime();
      if (changed) {
        updates.push(write);
        reindex(!!options.reindex);
      } else {
        if (!sameJson(provenanceToJson(previousProvenance), write.provenance))
          provenanceOnly.push({ id: r.id, provenance: write.provenance });
        if (options.reindex) reindex(true);
      }
    }
    return writes;
  }

  private async deleteOne(tx: Db, ctx: AssertionContext, current: LockedGolden): Promise<void> {
    const groups = await this.store.deleteGolden(tx, ctx.tenantId, current.id);
    await this.store.outbox(
      tx,
      ctx.tenantId,
      current.resourceType,
      current.id,
      current.version + 1,
      'deleted',
    );
    for (const g of groups) await this.store.outbox(tx, ctx.tenantId, 'Group', g.id, g.version, 'updated');
  }
}

function sameKeys(
  a: readonly { matcher: string; value: string }[],
  b: readonly { matcher: string; value: string }[],
): boolean {
  if (a.length !== b.length) return false;
  const seen = new Set(a.map((k) => `${k.matcher}\u0000${k.value}`));
  return b.every((k) => seen.has(`${k.matcher}\u0000${k.value}`));
}
