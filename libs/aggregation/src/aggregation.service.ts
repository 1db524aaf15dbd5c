import { Injectable } from '@nestjs/common';
import type { ResourceTypeSchemas } from '@hub/scim';
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
  type Contribution,
  type CorrelationDecision,
  type LifecycleEvent,
  type LifecycleRecord,
} from '@hub/engine';
import {
  AuditRepository,
  CorrelationCaseRepository,
  EngineStore,
  type Db,
  type GoldenWrite,
  type LockedGolden,
  type StoredContribution,
  type StoredGolden,
  type TenantId,
} from '@hub/persistence';
import { EngineConfigService, type EngineConfig } from './engine-config.service';
import { correlationLockKeys, goldenMatchKeys, lookupsOf } from './match-keys';
import { provenanceFromJson, provenanceToJson } from './provenance-json';
import { mayCreate } from './engine-defaults';

/** Who asserts: tenant, source, and the actor for the audit row. */
export interface AssertionContext {
  tenantId: TenantId;
  sourceId: string;
  actor: { type: 'api_client' | 'operator' | 'system' | 'source'; id: string };
  requestId?: string | null;
  channel: string;
}

/** The golden record after a write, with what the write did. */
export interface StoredResult {
  golden: StoredGolden;
  /** A new version was committed (an outbox row exists for it). */
  changed: boolean;
  /** Changed attribute paths (for the audit). */
  changes: string[];
}

export type UnlinkedOutcome =
  | { outcome: 'golden'; result: StoredResult; created: boolean; before?: Record<string, unknown> }
  | { outcome: 'parked'; contributionId: string; caseId?: string; candidates?: readonly string[] };

/** A contribution the caller computed, before it is stored. */
export interface ContributionDraft {
  resourceType: string;
  sourceKey: string;
  externalId: string | null;
  attributes: Record<string, unknown>;
}

/**
 * The thin persistence service around @hub/engine (ADR 0203): loads contributions, rules and
 * the previous golden record inside the caller's transaction, calls the engine, and stores the
 * golden record, provenance, match keys and one outbox row per committed version. Callers hold
 * the golden row lock (or the correlation advisory locks) for the whole transaction.
 */
@Injectable()
export class AggregationService {
  constructor(
    readonly store: EngineStore,
    private readonly configs: EngineConfigService,
    private readonly cases: CorrelationCaseRepository,
    private readonly audit: AuditRepository,
  ) {}

  /** What a write needs from the pool, read before its transaction starts (see EngineConfigService.prepare). */
  prepare(
    tenantId: TenantId,
    resourceType: string,
    attributes?: Readonly<Record<string, unknown>>,
  ): Promise<ResourceTypeSchemas> {
    return this.configs.prepare(tenantId, resourceType, attributes);
  }

  /** The configuration inside a write's transaction: only `tx` is used. */
  config(
    tenantId: TenantId,
    resourceType: string,
    tx: Db,
    prepared: ResourceTypeSchemas,
    knownRevision?: number,
  ): Promise<EngineConfig> {
    return this.configs.get(tenantId, resourceType, tx, knownRevision, prepared);
  }

  /**
   * Stores a contribution that is not linked to a golden record yet and correlates it: join,
   * create (RC source), park, or open a case. Takes the correlation advisory locks first.
   */
  async assertUnlinked(
    tx: Db,
    ctx: AssertionContext,
    config: EngineConfig,
    draft: ContributionDraft,
    options: {
      newId?: string;
      stored?: StoredContribution | null;
      /** The source key to store under, once the outcome is known (inbound SCIM: the hub id). */
      sourceKeyFor?: (resourceId: string | null) => string;
    } = {},
  ): Promise<UnlinkedOutcome> {
    const { tenantId } = ctx;
    const decision = await this.decide(tx, ctx, config, draft, options.stored?.resourceId ?? null);
    const now = new Date();
    if (decision.outcome === 'join' || decision.outcome === 'create') {
      const created = decision.outcome === 'create';
      const resourceId = created ? (options.newId ?? randomUUID()) : decision.resourceId;
      const current = created
        ? null
        : await this.store.lockGolden(tx, tenantId, draft.resourceType, resourceId);
      if (!created && !current) throw new Error(`golden record ${resourceId} vanished during correlation`);
      const keyed = options.sourceKeyFor ? { ...draft, sourceKey: options.sourceKeyFor(resourceId) } : draft;
      // A new record's contribution is linked once the record exists (foreign key).
      const saved = await this.saveContribution(
        tx,
        tenantId,
        ctx.sourceId,
        keyed,
        created ? null : resourceId,
        now,
      );
      await this.cases.closeForContribution(tx, tenantId, saved.id, 'correlation');
      const result = await this.resolveAndStore(tx, ctx, config, current, {
        newId: resourceId,
        event: assertEvent(ctx, draft),
        contributions: withContribution(current?.contributions ?? [], saved),
        ...(created ? { founding: saved.id } : {}),
      });
      return { outcome: 'golden', result, created, ...(current ? { before: current.attributes } : {}) };
    }
    const parked = options.sourceKeyFor ? { ...draft, sourceKey: options.sourceKeyFor(null) } : draft;
    const contributionId = (await this.saveContribution(tx, tenantId, ctx.sourceId, parked, null, now)).id;
    if (decision.outcome === 'case') {
      if (await this.cases.ignored(tx, tenantId, contributionId, decision.candidates))
        return { outcome: 'parked', contributionId };
      const caseId = await this.cases.open(tx, tenantId, {
        resourceType: draft.resourceType,
        contributionId,
        candidates: decision.candidates,
        rule: decision.rule,
      });
      return { outcome: 'parked', contributionId, caseId, candidates: decision.candidates };
    }
    return { outcome: 'parked', contributionId };
  }

  /**
   * Correlates a contribution (ADR 0203): takes the advisory locks of its match keys, looks the
   * candidates up and decides. `mayCreate` defaults to the source's role.
   */
  private async decide(
    tx: Db,
    ctx: AssertionContext,
    config: EngineConfig,
    draft: Pick<ContributionDraft, 'resourceType' | 'sourceKey' | 'attributes'>,
    linkedId: string | null,
    mayCreateOverride?: boolean,
  ): Promise<CorrelationDecision> {
    const { tenantId } = ctx;
    const keys = matchKeys(
      { sourceId: ctx.sourceId, sourceKey: draft.sourceKey, attributes: draft.attributes },
      config.match,
      config.schemas,
    );
    const lookups = lookupsOf(keys, config.match);
    await this.store.lockKeys(tx, correlationLockKeys(tenantId, draft.resourceType, lookups));
    const candidates: (string[] | undefined)[] = [];
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const lookup = lookups[i];
      if (key.kind === 'link') candidates.push(linkedId ? [linkedId] : []);
      else
        candidates.push(
          await this.store.findByMatchKey(tx, tenantId, draft.resourceType, lookup!.matcher, lookup!.values),
        );
    }
    return correlate(keys, candidates, {
      mayCreate:
        mayCreateOverride ??
        mayCreate(await this.store.sourceRoles(tx, tenantId, ctx.sourceId), draft.resourceType),
    });
  }

  /**
   * A parked contribution tries again (the sweep): exactly one match now joins it; several open a
   * case unless one is open or was ignored for the same candidates; none leaves it parked.
   */
  async rejoin(
    tx: Db,
    ctx: AssertionContext,
    config: EngineConfig,
    parked: StoredContribution,
  ): Promise<'joined' | 'case' | 'parked'> {
    const decision = await this.decide(tx, ctx, config, parked, null, false);
    if (decision.outcome === 'join') {
      const current = await this.store.lockGolden(tx, ctx.tenantId, parked.resourceType, decision.resourceId);
      if (!current) return 'parked';
      await this.store.linkContribution(tx, ctx.tenantId, parked.id, current.id);
      await this.cases.closeForContribution(tx, ctx.tenantId, parked.id, 'correlation');
      await this.resolveAndStore(tx, ctx, config, current, {
        event: assertEvent(ctx, parked),
        contributions: withContribution(current.contributions, { ...parked, resourceId: current.id }),
      });
      return 'joined';
    }
    if (decision.outcome === 'case') {
      if (await this.cases.ignored(tx, ctx.tenantId, parked.id, decision.candidates)) return 'parked';
      await this.cases.open(tx, ctx.tenantId, {
        resourceType: parked.resourceType,
        contributionId: parked.id,
        candidates: decision.candidates,
        rule: decision.rule,
      });
      return 'case';
    }
    return 'parked';
  }

  /**
   * Stores the source's new contribution to a locked golden record and resolves it again. An
   * unchanged contribution (same hash) does nothing and returns the record as it is.
   */
  async assertLinked(
    tx: Db,
    ctx: AssertionContext,
    config: EngineConfig,
    current: LockedGolden,
    draft: ContributionDraft,
    previous: StoredContribution | null,
  ): Promise<StoredResult & { contributionChanged: boolean }> {
    const hash = contributionHash({ ...draft, deletedAt: null });
    if (previous && previous.hash === hash && !previous.deletedAt && previous.resourceId === current.id)
      return { golden: current, changed: false, changes: [], contributionChanged: false };
    const saved = await this.saveContribution(
      tx,
      ctx.tenantId,
      ctx.sourceId,
      draft,
      current.id,
      new Date(),
      hash,
    );
    const result = await this.resolveAndStore(tx, ctx, config, current, {
      event: assertEvent(ctx, draft),
      contributions: withContribution(current.contributions, saved),
    });
    return { ...result, contributionChanged: true };
  }

  /**
   * Withdraws the source's contribution from a locked golden record: the record is deleted when
   * the lifecycle says so (or no live contribution is left), else resolved again.
   */
  async withdraw(
    tx: Db,
    ctx: AssertionContext,
    config: EngineConfig,
    current: LockedGolden,
    own: StoredContribution | null,
    effect: 'delete' | 'lifecycle' | 'withdraw',
  ): Promise<{ deleted: boolean; result?: StoredResult }> {
    let contributions = current.contributions;
    // The lifecycle authority's deletion suspends: its contribution still describes the suspended
    // record (and is how a re-hire within grace is recognised); it goes with the record.
    if (own && !own.deletedAt && effect !== 'lifecycle') {
      const now = new Date();
      const gone = {
        ...own,
        assertedAt: now,
        deletedAt: now,
        hash: contributionHash({ ...own, deletedAt: now }),
      };
      await this.store.saveContribution(tx, ctx.tenantId, { ...gone, deleted: true });
      contributions = withContribution(contributions, gone);
    }
    if (effect === 'delete') {
      await this.deleteGolden(tx, ctx, current, 'deleted by its source');
      return { deleted: true };
    }
    const event: LifecycleEvent | undefined =
      effect === 'lifecycle' ? { kind: 'removed', sourceId: ctx.sourceId } : undefined;
    const result = await this.resolveAndStore(tx, ctx, config, current, {
      contributions,
      ...(event ? { event } : {}),
    });
    return result.golden.lifecycleState === 'deleted' ? { deleted: true } : { deleted: false, result };
  }

  /**
   * Resolves a golden record from its contributions under the current rules and stores it when
   * anything changed: version + 1, provenance, match keys, one outbox row. `current` is locked
   * (or null to create `newId`). A record left with no live contribution is deleted.
   */
  async resolveAndStore(
    tx: Db,
    ctx: AssertionContext,
    config: EngineConfig,
    current: LockedGolden | null,
    options: {
      /** Every contribution of the record as it is now (the caller's write included). */
      contributions: readonly StoredContribution[];
      newId?: string;
      event?: LifecycleEvent;
      /** Creating: the contribution to link once the record exists. */
      founding?: string;
      /** Rewrite the record's match keys even when it did not change (correlation rules changed). */
      reindex?: boolean;
    },
  ): Promise<StoredResult> {
    const { tenantId } = ctx;
    const id = current?.id ?? options.newId!;
    const stored = options.contributions;
    const contributions = stored.map(toEngine);
    const live = contributions.filter((c) => !c.deletedAt);
    const now = new Date();
    let lifecycle: LifecycleRecord = current ? lifecycleOf(current) : activeRecord(now);
    if (config.lifecycle && options.event) {
      const t = nextLifecycle(lifecycle, options.event, now, config.lifecycle);
      lifecycle = t.record;
    }
    if (current && (live.length === 0 || lifecycle.state === 'deleted')) {
      await this.deleteGolden(
        tx,
        ctx,
        current,
        live.length === 0 ? 'no source asserts it any more' : 'lifecycle',
      );
      return { golden: { ...current, lifecycleState: 'deleted' }, changed: true, changes: [] };
    }
    const previousProvenance = current ? provenanceFromJson(current.provenance) : [];
    const result = await computeGolden({
      contributions,
      rules: config.rules,
      now,
      ...(current ? { previous: { resource: current.attributes, provenance: previousProvenance } } : {}),
      lifecycle: { state: lifecycle.state },
    });
    const attributes = result.resource;
    const write: GoldenWrite = {
      attributes,
      nameKey: nameKeyOf(config.resourceType, attributes),
      lifecycleState: lifecycle.state,
      suspendedAt: lifecycle.state === 'suspended' ? lifecycle.since : null,
      deleteAfter: lifecycle.state === 'suspended' ? (lifecycle.deleteAfter ?? null) : null,
    };
    const provenance = provenanceToJson(result.provenance);
    if (!current) {
      const times = await this.store.insertGolden(tx, tenantId, config.resourceType, id, write);
      await this.store.linkContribution(tx, tenantId, options.founding!, id);
      await this.store.saveProvenance(tx, tenantId, id, provenance);
      if (config.indexesKeys)
        await this.store.replaceMatchKeys(
          tx,
          tenantId,
          config.resourceType,
          id,
          goldenMatchKeys(attributes, config.match, config.schemas),
        );
      await this.store.outbox(tx, tenantId, config.resourceType, id, 1, 'created');
      const golden: StoredGolden = {
        id,
        resourceType: config.resourceType,
        attributes,
        version: 1,
        lifecycleState: write.lifecycleState,
        suspendedAt: write.suspendedAt,
        deleteAfter: write.deleteAfter,
        ...times,
      };
      return {
        golden,
        changed: true,
        changes: diffGolden({}, attributes, config.schemas).map((c) => c.path),
      };
    }
    const changes = diffGolden(current.attributes, attributes, config.schemas).map((c) => c.path);
    const lifecycleChanged =
      current.lifecycleState !== write.lifecycleState ||
      current.deleteAfter?.getTime() !== write.deleteAfter?.getTime();
    if (changes.length === 0 && !lifecycleChanged) {
      if (!sameJson(provenanceToJson(previousProvenance), provenance))
        await this.store.saveProvenance(tx, tenantId, id, provenance);
      if (options.reindex)
        await this.store.replaceMatchKeys(
          tx,
          tenantId,
          config.resourceType,
          id,
          config.indexesKeys ? goldenMatchKeys(attributes, config.match, config.schemas) : [],
        );
      return { golden: current, changed: false, changes };
    }
    const { version, updatedAt } = await this.store.updateGolden(tx, tenantId, current, write, provenance);
    if (config.indexesKeys || options.reindex)
      await this.store.replaceMatchKeys(
        tx,
        tenantId,
        config.resourceType,
        id,
        config.indexesKeys ? goldenMatchKeys(attributes, config.match, config.schemas) : [],
      );
    return {
      golden: {
        ...current,
        attributes,
        version,
        updatedAt,
        lifecycleState: write.lifecycleState,
        suspendedAt: write.suspendedAt,
        deleteAfter: write.deleteAfter,
      },
      changed: true,
      changes,
    };
  }

  /** Deletes a locked golden record: outbox rows for it and every group it left, audit rows for the groups. */
  async deleteGolden(tx: Db, ctx: AssertionContext, current: StoredGolden, why: string): Promise<void> {
    const groups = await this.store.deleteGolden(tx, ctx.tenantId, current.id);
    await this.store.outbox(
      tx,
      ctx.tenantId,
      current.resourceType,
      current.id,
      current.version + 1,
      'deleted',
    );
    for (const g of groups) {
      await this.store.outbox(tx, ctx.tenantId, 'Group', g.id, g.version, 'updated');
      await this.audit.append(
        ctx.tenantId,
        {
          actorType: ctx.actor.type,
          actorId: ctx.actor.id,
          sourceId: ctx.sourceId,
          action: 'scim.Group.member_removed',
          resourceType: 'Group',
          resourceId: g.id,
          requestId: ctx.requestId ?? null,
          detail: {
            channel: ctx.channel,
            version: g.version,
            reason: 'member deleted',
            member: current.id,
            why,
          },
        },
        tx,
      );
    }
  }

  private async saveContribution(
    tx: Db,
    tenantId: TenantId,
    sourceId: string,
    draft: ContributionDraft,
    resourceId: string | null,
    assertedAt: Date,
    hash?: string,
  ): Promise<StoredContribution> {
    const row = {
      sourceId,
      resourceType: draft.resourceType,
      sourceKey: draft.sourceKey,
      externalId: draft.externalId,
      resourceId,
      attributes: draft.attributes,
      hash: hash ?? contributionHash({ ...draft, deletedAt: null }),
      assertedAt,
      deletedAt: null,
    };
    const id = await this.store.saveContribution(tx, tenantId, { ...row, deleted: false });
    return { id, ...row };
  }
}

/** The record's contributions with `c` in place of the stored row it replaces (by id). */
export function withContribution(
  list: readonly StoredContribution[],
  c: StoredContribution,
): StoredContribution[] {
  return [...list.filter((x) => x.id !== c.id), c];
}

function assertEvent(ctx: AssertionContext, draft: Pick<ContributionDraft, 'attributes'>): LifecycleEvent {
  const active = draft.attributes['active'];
  return { kind: 'asserted', sourceId: ctx.sourceId, ...(typeof active === 'boolean' ? { active } : {}) };
}

export function toEngine(c: StoredContribution): Contribution {
  return {
    sourceId: c.sourceId,
    sourceKey: c.sourceKey,
    resourceType: c.resourceType,
    externalId: c.externalId,
    attributes: c.attributes,
    assertedAt: c.assertedAt,
    deletedAt: c.deletedAt,
    resourceId: c.resourceId,
    hash: c.hash,
  };
}

export function lifecycleOf(g: StoredGolden): LifecycleRecord {
  if (g.lifecycleState !== 'suspended') return { state: g.lifecycleState, since: g.updatedAt };
  return {
    state: 'suspended',
    since: g.suspendedAt ?? g.updatedAt,
    reason: g.deleteAfter ? 'deleted' : 'disabled',
    deleteAfter: g.deleteAfter,
  };
}

/** Lower-cased userName for Users: the case-insensitive unique key (ADR 0301). */
export function nameKeyOf(resourceType: string, attributes: Record<string, unknown>): string | null {
  if (resourceType !== 'User') return null;
  const userName = attributes['userName'];
  return typeof userName === 'string' && userName !== '' ? userName.toLowerCase() : null;
}
