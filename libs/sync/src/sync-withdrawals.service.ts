import { Injectable } from '@nestjs/common';
import { AggregationService, removalEffect, type AssertionContext } from '@hub/aggregation';
import { contributionHash } from '@hub/engine';
import { EngineStore } from '@hub/persistence';

/**
 * A source's deletions through the engine (ADR 0503): each key withdraws the source's
 * contribution under its golden record's row lock, and the tenant's lifecycle rules decide what
 * happens to the record (suspend, withdraw the source's values, or delete). One transaction per
 * key, the same locked path as an inbound SCIM DELETE.
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
    for (const key of keys) {
      const done = await this.store.transaction(async (tx) => {
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
      });
      if (done) withdrawn++;
    }
    return withdrawn;
  }
}
