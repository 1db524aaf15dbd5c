import { Injectable } from '@nestjs/common';
import { AggregationService, removalEffect, type AssertionContext } from '@hub/aggregation';
import { contributionHash } from '@hub/engine';
import { EngineStore } from '@hub/persistence';
import type { ResourceTypeSchemas } from '@hub/scim';

/** Keys withdrawn per transaction: row locks on that many golden records are held at once. */
export const WITHDRAW_BATCH = 50;

type Tx = Parameters<Parameters<EngineStore['transaction']>[0]>[0];

/**
 * A source's deletions through the engine (ADR 0503): each key withdraws the source's
 * contribution under its golden record's row lock, and the tenant's lifecycle rules decide what
 * happens to the record (suspend, withdraw the source's values, or delete) — the same locked path
 * as an inbound SCIM DELETE. Up to WITHDRAW_BATCH keys share one transaction; if that transaction
 * fails (one bad record, a deadlock with a concurrent writer), its keys are replayed one
 * transaction each, so the outcome per key is what the one-by-one path gives.
 */
@Injectable()
export class SyncWithdrawals {
  constructor(
    private readonly aggregation: AggregationService,
    private readonly store: EngineStore,
  ) {}

  /** Withdraws the source's live contributions with these keys; returns how many it withdrew. */
  async withdraw(ctx: AssertionContext, resourceType: string, keys: readonly string[]): Promise<number> {
    if (keys.length === 0) return 0;
    const schemas = await this.aggregation.prepare(ctx.tenantId, resourceType);
    let withdrawn = 0;
    for (let i = 0; i < keys.length; i += WITHDRAW_BATCH) {
      const chunk = keys.slice(i, i + WITHDRAW_BATCH);
      try {
        withdrawn += await this.store.transaction(async (tx) => {
          let n = 0;
          for (const key of chunk) if (await this.withdrawOne(tx, ctx, resourceType, schemas, key)) n++;
          return n;
        });
        continue;
      } catch (error) {
        if (chunk.length === 1) throw error;
      }
      for (const key of chunk)
        if (await this.store.transaction((tx) => this.withdrawOne(tx, ctx, resourceType, schemas, key)))
          withdrawn++;
    }
    return withdrawn;
  }

  private async withdrawOne(
    tx: Tx,
    ctx: AssertionContext,
    resourceType: string,
    schemas: ResourceTypeSchemas,
    key: string,
  ): Promise<boolean> {
    const own = await this.store.contributionByKey(tx, ctx.tenantId, ctx.sourceId, resourceType, key);
    if (!own || own.deletedAt) return false;
    const current = own.resourceId
      ? await this.store.lockGolden(tx, ctx.tenantId, resourceType, own.resourceId)
      : null;
    if (!current) {
      // Parked (or its record went away): the contribution is simply marked deleted.
      const now = new Date();
      const { id: _id, deletedAt: _was, ...row } = own;
      await this.store.saveContribution(tx, ctx.tenantId, {
        ...row,
        assertedAt: now,
        hash: contributionHash({ ...own, deletedAt: now }),
        deleted: true,
      });
      return true;
    }
    const config = await this.aggregation.config(
      ctx.tenantId,
      resourceType,
      tx,
      schemas,
      current.ruleRevision,
    );
    const effect = removalEffect(config.lifecycle, ctx.sourceId);
    // The lifecycle authority already suspended it: nothing more until the grace period ends.
    if (effect === 'lifecycle' && current.lifecycleState === 'suspended') return false;
    const mine = current.contributions.find((c) => c.id === own.id) ?? own;
    await this.aggregation.withdraw(tx, ctx, config, current, mine, effect);
    return true;
  }
}
