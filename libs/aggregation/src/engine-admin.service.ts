import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { explain, previewRuleChange, type Explanation, type RuleChangePreview } from '@hub/engine';
import {
  AuditRepository,
  CorrelationCaseRepository,
  EngineStore,
  RecomputeRunRepository,
  SourceRepository,
  type CorrelationCaseRecord,
  type RecomputeRunRecord,
  type StoredContribution,
  type TenantId,
} from '@hub/persistence';
import { AggregationService, toEngine, type AssertionContext } from './aggregation.service';
import { EngineConfigService, type EngineConfigInput } from './engine-config.service';
import { provenanceFromJson } from './provenance-json';

/** A correlation case or admin action that does not apply (unknown, already resolved, bad target). */
export class EngineAdminError extends Error {
  constructor(
    readonly kind: 'not_found' | 'conflict' | 'invalid',
    message: string,
  ) {
    super(message);
    this.name = 'EngineAdminError';
  }
}

export type CaseAction = { action: 'link'; resourceId: string } | { action: 'create' } | { action: 'ignore' };

/** Sample size of a preview when the admin does not ask for one, and the most it may ask. */
export const PREVIEW_DEFAULT_LIMIT = 1_000;
export const PREVIEW_MAX_LIMIT = 10_000;

/**
 * What the admin API does with the engine (ADR 0203): rules (validated, saved, recomputed in the
 * background), previews that change nothing, explanations, correlation cases.
 */
@Injectable()
export class EngineAdminService {
  constructor(
    private readonly configs: EngineConfigService,
    private readonly aggregation: AggregationService,
    private readonly store: EngineStore,
    private readonly cases: CorrelationCaseRepository,
    private readonly runs: RecomputeRunRepository,
    private readonly sources: SourceRepository,
    private readonly audit: AuditRepository,
  ) {}

  rules(tenantId: TenantId, resourceType: string) {
    return this.configs.stored(tenantId, resourceType);
  }

  /**
   * Validates (RuleValidationError with every issue) and saves; a change of authority rules or
   * transforms queues a recompute of the type's golden records, returned with the rules.
   */
  async saveRules(
    tenantId: TenantId,
    resourceType: string,
    input: EngineConfigInput,
    actor: { clientId: string; requestId?: string | undefined },
  ): Promise<{
    rules: Awaited<ReturnType<EngineConfigService['stored']>>;
    recompute: RecomputeRunRecord | null;
  }> {
    const { saved } = await this.configs.save(tenantId, resourceType, input);
    await this.audit.append(tenantId, {
      actorType: 'api_client',
      actorId: actor.clientId,
      action: 'engine.rules.saved',
      resourceType,
      requestId: actor.requestId ?? null,
      detail: {
        revision: saved.revision,
        changed: Object.keys(input).filter((k) => (input as Record<string, unknown>)[k] !== undefined),
      },
    });
    let recompute: RecomputeRunRecord | null = null;
    // Authority, transforms and lifecycle change golden records; correlation rules change the
    // keys records are found by. Either way every record of the type is resolved and reindexed.
    if (input.authority !== undefined || input.lifecycle !== undefined || input.correlation !== undefined) {
      const total = await this.store.countGolden(this.store.db, tenantId, resourceType);
      recompute = await this.runs.create(tenantId, resourceType, saved.revision, total);
    }
    return { rules: await this.configs.stored(tenantId, resourceType), recompute };
  }

  /** What saving `input` would change, computed over a sample in id order; writes nothing. */
  async preview(
    tenantId: TenantId,
    resourceType: string,
    input: EngineConfigInput,
    limit = PREVIEW_DEFAULT_LIMIT,
  ): Promise<RuleChangePreview & { sampled: number; of: number }> {
    const next = await this.configs.validate(tenantId, resourceType, input);
    const current = await this.configs.get(tenantId, resourceType);
    const db = this.store.db;
    const ids = await this.store.goldenIds(
      db,
      tenantId,
      resourceType,
      null,
      Math.min(limit, PREVIEW_MAX_LIMIT),
    );
    const byId = await this.store.contributionsOfMany(db, tenantId, ids);
    const records = ids.map((id) => ({ id, contributions: byId.get(id)!.map(toEngine) }));
    const result = await previewRuleChange({
      records,
      oldRules: current.rules,
      newRules: next.rules,
      now: new Date(),
    });
    return { ...result, sampled: ids.length, of: await this.store.countGolden(db, tenantId, resourceType) };
  }

  /** Why each attribute of a golden record has its value (one sentence each, plus structure). */
  async explanation(
    tenantId: TenantId,
    resourceId: string,
    paths?: readonly string[],
  ): Promise<(Explanation & { resourceType: string; version: number; lifecycleState: string }) | null> {
    const db = this.store.db;
    const golden = await this.store.readGolden(db, tenantId, resourceId);
    if (!golden) return null;
    const config = await this.configs.get(tenantId, golden.resourceType);
    const contributions = (await this.store.contributionsOf(db, tenantId, resourceId)).map(toEngine);
    const provenance = provenanceFromJson(await this.store.provenance(db, resourceId));
    const names = Object.fromEntries((await this.sources.list(tenantId)).map((s) => [s.id, s.name]));
    const explanation = explain({
      resourceId,
      resource: golden.attributes,
      provenance,
      contributions,
      rules: config.rules,
      sourceNames: names,
      ...(paths && paths.length > 0 ? { paths } : {}),
    });
    return {
      ...explanation,
      resourceType: golden.resourceType,
      version: golden.version,
      lifecycleState: golden.lifecycleState,
    };
  }

  listCases(tenantId: TenantId, status: CorrelationCaseRecord['status'] | undefined, limit: number) {
    return this.cases.list(tenantId, { ...(status ? { status } : {}), limit });
  }

  /** A case with its contribution, so the admin sees what is being decided. */
  async getCase(tenantId: TenantId, id: string) {
    const c = await this.cases.get(tenantId, id);
    if (!c) return null;
    const contribution = await this.store.contributionById(this.store.db, tenantId, c.contributionId);
    return { ...c, contribution: contribution && contributionView(contribution) };
  }

  async uncorrelated(tenantId: TenantId, resourceType: string | undefined, limit: number) {
    const rows = await this.store.uncorrelated(this.store.db, tenantId, {
      ...(resourceType ? { resourceType } : {}),
      limit,
    });
    return rows.map(contributionView);
  }

  /**
   * Resolves an open case: link the parked contribution to one golden record (resolved again),
   * create a new record from it, or ignore it (kept, not proposed again for the same candidates).
   */
  async resolveCase(
    tenantId: TenantId,
    id: string,
    action: CaseAction,
    actor: { clientId: string; requestId?: string | undefined },
  ): Promise<CorrelationCaseRecord & { resourceId?: string; version?: number }> {
    const prepared = await this.store.transaction(async (tx) => {
      const found = await this.cases.lock(tx, tenantId, id);
      if (!found) throw new EngineAdminError('not_found', `correlation case ${id} not found`);
      if (found.status !== 'open')
        throw new EngineAdminError('conflict', `correlation case ${id} is already ${found.status}`);
      return found;
    });
    const schemas = await this.aggregation.prepare(tenantId, prepared.resourceType);
    return this.store.transaction(async (tx) => {
      const kase = (await this.cases.lock(tx, tenantId, id))!;
      if (kase.status !== 'open')
        throw new EngineAdminError('conflict', `correlation case ${id} is already ${kase.status}`);
      const contribution = await this.store.contributionById(tx, tenantId, kase.contributionId);
      if (!contribution || contribution.deletedAt)
        throw new EngineAdminError('conflict', `the contribution of case ${id} was withdrawn by its source`);
      const ctx: AssertionContext = {
        tenantId,
        sourceId: contribution.sourceId,
        actor: { type: 'api_client', id: actor.clientId },
        requestId: actor.requestId ?? null,
        channel: 'admin:correlation-case',
      };
      const config = await this.aggregation.config(tenantId, kase.resourceType, tx, schemas);
      let resourceId: string | undefined;
      let version: number | undefined;
      if (action.action === 'link') {
        const golden = await this.store.lockGolden(tx, tenantId, kase.resourceType, action.resourceId);
        if (!golden)
          throw new EngineAdminError(
            'invalid',
            `no ${kase.resourceType} ${action.resourceId} to link the contribution to`,
          );
        await this.store.linkContribution(tx, tenantId, contribution.id, golden.id);
        const linked = { ...contribution, resourceId: golden.id };
        const result = await this.aggregation.resolveAndStore(tx, ctx, config, golden, {
          contributions: [...golden.contributions.filter((c) => c.id !== contribution.id), linked],
        });
        resourceId = golden.id;
        version = result.golden.version;
      } else if (action.action === 'create') {
        const newId = randomUUID();
        const result = await this.aggregation.resolveAndStore(tx, ctx, config, null, {
          newId,
          founding: contribution.id,
          contributions: [contribution],
        });
        resourceId = newId;
        version = result.golden.version;
      }
      const status = action.action === 'link' ? 'linked' : action.action === 'create' ? 'created' : 'ignored';
      await this.cases.close(tx, tenantId, id, status, actor.clientId);
      await this.audit.append(
        tenantId,
        {
          actorType: 'api_client',
          actorId: actor.clientId,
          sourceId: contribution.sourceId,
          action: `engine.correlation_case.${status}`,
          resourceType: kase.resourceType,
          resourceId: resourceId ?? null,
          requestId: actor.requestId ?? null,
          detail: {
            case: id,
            contribution: contribution.id,
            candidates: kase.candidates,
            ...(version ? { version } : {}),
          },
        },
        tx,
      );
      return {
        ...kase,
        status,
        resolvedBy: actor.clientId,
        resolvedAt: new Date(),
        ...(resourceId ? { resourceId } : {}),
        ...(version ? { version } : {}),
      };
    });
  }

  listRecomputes(tenantId: TenantId, limit: number) {
    return this.runs.list(tenantId, limit);
  }

  getRecompute(tenantId: TenantId, id: string) {
    return this.runs.get(tenantId, id);
  }
}

function contributionView(c: StoredContribution) {
  return {
    id: c.id,
    sourceId: c.sourceId,
    sourceKey: c.sourceKey,
    resourceType: c.resourceType,
    externalId: c.externalId,
    resourceId: c.resourceId,
    attributes: c.attributes,
    assertedAt: c.assertedAt,
    deletedAt: c.deletedAt,
  };
}
