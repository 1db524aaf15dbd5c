import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ScimError, type ResourceTypeSchemas } from '@hub/scim';
import {
  AuditRepository,
  isUuid,
  type Db,
  type LockedGolden,
  type CreateAssertion,
  type DeleteAssertion,
  type GoldenRecord,
  type InboundWriteGateway,
  type StoredContribution,
  type StoredGolden,
  type UpdateAssertion,
  type WriteContext,
} from '@hub/persistence';
import { hashJson } from '@hub/engine';
import { AggregationService, type AssertionContext } from './aggregation.service';
import { contributionAfterWrite } from './contribution-after-write';
import type { EngineConfig } from './engine-config.service';
import { changedAttributes, summariseValue } from './audit-detail';
import { removalEffect } from './engine-defaults';
import { knowsAll } from './tenant-schemas.service';

/**
 * A POST that did not produce a golden record: kept as an uncorrelated contribution (the source
 * may not create, or several records match and an admin decides). 202: accepted, not applied.
 */
export class ContributionParkedError extends ScimError {
  constructor(
    readonly contributionId: string,
    readonly caseId: string | undefined,
  ) {
    super(
      202,
      undefined,
      caseId
        ? `Accepted as contribution ${contributionId}: several resources match it; correlation case ${caseId} awaits an administrator`
        : `Accepted as contribution ${contributionId}: no resource matches it and this client may not create one; it joins when one appears`,
    );
  }
}

/** A write names an attribute the cached schemas do not know: retried with fresh ones. */
class StaleSchemasError extends Error {
  constructor(readonly attributes: Record<string, unknown>) {
    super('tenant schemas changed');
  }
}

/**
 * The inbound SCIM server's gateway on the aggregation engine (ADR 0203): a write is the calling
 * source's contribution; the golden record is what the authority rules make of all of them.
 */
@Injectable()
export class EngineInboundWriter implements InboundWriteGateway {
  constructor(
    private readonly aggregation: AggregationService,
    private readonly audit: AuditRepository,
  ) {}

  async create(ctx: WriteContext, assertion: CreateAssertion): Promise<GoldenRecord> {
    const store = this.aggregation.store;
    const id = randomUUID();
    const prepared = await this.aggregation.prepare(
      ctx.tenantId,
      assertion.resourceType,
      assertion.view.attributes,
    );
    const outcome = await store.transaction(async (tx) => {
      const config = await this.aggregation.config(ctx.tenantId, assertion.resourceType, tx, prepared);
      const { attributes, externalId } = assertion.view;
      // A SCIM client's key for its object is the hub id it gets back. A parked POST has none:
      // it is keyed by its externalId (or content), so a client retrying it changes nothing.
      const draft = { resourceType: assertion.resourceType, sourceKey: id, externalId, attributes };
      const out = await this.aggregation.assertUnlinked(tx, actx(ctx), config, draft, {
        newId: id,
        sourceKeyFor: (resourceId) =>
          resourceId ??
          (externalId !== null ? `externalId:${externalId}` : `content:${hashJson(attributes)}`),
      });
      await this.audit.append(
        ctx.tenantId,
        {
          actorType: ctx.actor.type,
          actorId: ctx.actor.id,
          sourceId: ctx.sourceId,
          action:
            out.outcome === 'parked'
              ? `scim.${assertion.resourceType}.parked`
              : out.created
                ? `scim.${assertion.resourceType}.created`
                : `scim.${assertion.resourceType}.joined`,
          resourceType: assertion.resourceType,
          resourceId: out.outcome === 'parked' ? null : out.result.golden.id,
          requestId: ctx.requestId ?? null,
          detail: {
            channel: ctx.channel,
            ...(out.outcome === 'parked'
              ? {
                  contribution: out.contributionId,
                  ...(out.caseId ? { case: out.caseId, candidates: out.candidates } : {}),
                }
              : {
                  version: out.result.golden.version,
                  changed: changedAttributes(
                    out.created ? {} : (out.before ?? {}),
                    out.result.golden.attributes,
                  ),
                }),
            ...(externalId !== null ? { externalId } : {}),
          },
        },
        tx,
      );
      return out;
    });
    if (outcome.outcome === 'parked')
      throw new ContributionParkedError(outcome.contributionId, outcome.caseId);
    return record(outcome.result.golden, assertion.view.externalId);
  }

  async update(ctx: WriteContext, assertion: UpdateAssertion): Promise<GoldenRecord | null> {
    if (!isUuid(assertion.id)) return null;
    try {
      return await this.updateOnce(ctx, assertion, undefined);
    } catch (error) {
      if (!(error instanceof StaleSchemasError)) throw error;
      // The tenant changed its schemas since they were cached: read them again, once.
      return this.updateOnce(ctx, assertion, error.attributes);
    }
  }

  private async updateOnce(
    ctx: WriteContext,
    assertion: UpdateAssertion,
    attributes: Record<string, unknown> | undefined,
  ): Promise<GoldenRecord | null> {
    const store = this.aggregation.store;
    const prepared = await this.aggregation.prepare(ctx.tenantId, assertion.resourceType, attributes);
    return store.transaction(async (tx) => {
      const locked = await this.lockForWrite(tx, ctx, assertion.resourceType, assertion.id, prepared);
      if (!locked) return null;
      const { current, config, own } = locked;
      const before = record(current, own?.externalId ?? null);
      // The HTTP layer's member lookups run on this transaction's connection.
      const reads = { findMembers: (ids: string[]) => store.findMembers(tx, ctx.tenantId, ids) };
      const { view } = await assertion.change(before, reads);
      if (!knowsAll(prepared, view.attributes)) throw new StaleSchemasError(view.attributes);
      const attributes = own?.deletedAt
        ? contributionAfterWrite(config.schemas, null, current.attributes, view.attributes)
        : contributionAfterWrite(config.schemas, own?.attributes, current.attributes, view.attributes);
      const draft = {
        resourceType: assertion.resourceType,
        sourceKey: own?.sourceKey ?? current.id,
        externalId: view.externalId,
        attributes,
      };
      const out = await this.aggregation.assertLinked(tx, actx(ctx), config, current, draft, own);
      if (!out.contributionChanged) return before;
      await this.audit.append(
        ctx.tenantId,
        {
          actorType: ctx.actor.type,
          actorId: ctx.actor.id,
          sourceId: ctx.sourceId,
          action: `scim.${assertion.resourceType}.${assertion.kind === 'patch' ? 'patched' : 'replaced'}`,
          resourceType: assertion.resourceType,
          resourceId: current.id,
          requestId: ctx.requestId ?? null,
          detail: {
            channel: ctx.channel,
            version: out.golden.version,
            changed: changedAttributes(current.attributes, out.golden.attributes),
            ...(view.externalId !== (own?.externalId ?? null)
              ? { externalId: { from: own?.externalId ?? null, to: view.externalId } }
              : {}),
            ...(assertion.request !== undefined ? { request: summariseValue(assertion.request) } : {}),
          },
        },
        tx,
      );
      if (out.golden.lifecycleState === 'deleted') return null;
      return record(out.golden, view.externalId);
    });
  }

  /** Locks the golden record, then reads its configuration and the caller's own contribution. */
  private async lockForWrite(
    tx: Db,
    ctx: WriteContext,
    resourceType: string,
    id: string,
    prepared: ResourceTypeSchemas,
  ): Promise<{ current: LockedGolden; config: EngineConfig; own: StoredContribution | null } | null> {
    const current = await this.aggregation.store.lockGolden(tx, ctx.tenantId, resourceType, id);
    if (!current) return null;
    const config = await this.aggregation.config(
      ctx.tenantId,
      resourceType,
      tx,
      prepared,
      current.ruleRevision,
    );
    return { current, config, own: ownContribution(current.contributions, ctx.sourceId, current.id) };
  }

  async delete(ctx: WriteContext, assertion: DeleteAssertion): Promise<boolean> {
    if (!isUuid(assertion.id)) return false;
    const store = this.aggregation.store;
    const prepared = await this.aggregation.prepare(ctx.tenantId, assertion.resourceType);
    return store.transaction(async (tx) => {
      const locked = await this.lockForWrite(tx, ctx, assertion.resourceType, assertion.id, prepared);
      if (!locked) return false;
      const { current, config, own } = locked;
      assertion.precondition?.(record(current, own?.externalId ?? null));
      const effect = removalEffect(config.lifecycle, ctx.sourceId);
      const out = await this.aggregation.withdraw(tx, actx(ctx), config, current, own, effect);
      await this.audit.append(
        ctx.tenantId,
        {
          actorType: ctx.actor.type,
          actorId: ctx.actor.id,
          sourceId: ctx.sourceId,
          action: `scim.${assertion.resourceType}.${out.deleted ? 'deleted' : effect === 'lifecycle' ? 'suspended' : 'withdrawn'}`,
          resourceType: assertion.resourceType,
          resourceId: current.id,
          requestId: ctx.requestId ?? null,
          detail: {
            channel: ctx.channel,
            version: out.deleted ? current.version + 1 : (out.result?.golden.version ?? current.version),
          },
        },
        tx,
      );
      return true;
    });
  }
}

function actx(ctx: WriteContext): AssertionContext {
  return {
    tenantId: ctx.tenantId,
    sourceId: ctx.sourceId,
    actor: ctx.actor,
    requestId: ctx.requestId ?? null,
    channel: ctx.channel,
  };
}

/** The source's contribution to a record: the one keyed by the record's id first (inbound SCIM). */
function ownContribution(
  all: readonly StoredContribution[],
  sourceId: string,
  resourceId: string,
): StoredContribution | null {
  const mine = all.filter((c) => c.sourceId === sourceId);
  return mine.find((c) => c.sourceKey === resourceId) ?? mine.find((c) => !c.deletedAt) ?? mine[0] ?? null;
}

function record(g: StoredGolden, externalId: string | null): GoldenRecord {
  return {
    id: g.id,
    resourceType: g.resourceType,
    attributes: g.attributes,
    externalId,
    version: g.version,
    createdAt: g.createdAt,
    updatedAt: g.updatedAt,
  };
}
