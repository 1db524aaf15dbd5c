import { Injectable, Logger } from '@nestjs/common';
import { AuditRepository, EngineStore, RecomputeRunRepository, type TenantId } from '@hub/persistence';
import { AggregationService, type AssertionContext } from './aggregation.service';
import { BatchAggregationService } from './batch-aggregation.service';

/** Records per batch: progress is saved after each, a restarted job continues after the last. */
export const RECOMPUTE_BATCH = 200;

/**
 * Recomputes a type's golden records after a rule change (ADR 0203): in id order, one
 * transaction per record under its row lock (the same path as a write, so live writes interleave
 * safely), progress after each batch. A run for an older revision stops as superseded.
 */
@Injectable()
export class RecomputeService {
  private readonly logger = new Logger(RecomputeService.name);

  constructor(
    private readonly aggregation: AggregationService,
    private readonly batches: BatchAggregationService,
    private readonly store: EngineStore,
    private readonly runs: RecomputeRunRepository,
    private readonly audit: AuditRepository,
  ) {}

  async run(tenantId: TenantId, runId: string): Promise<void> {
    const run = await this.runs.get(tenantId, runId);
    if (!run || run.status === 'done' || run.status === 'superseded') return;
    await this.runs.start(tenantId, runId);
    const ctx: AssertionContext = {
      tenantId,
      sourceId: '',
      actor: { type: 'system', id: `recompute:${runId}` },
      channel: 'engine:recompute',
    };
    let cursor = run.cursor;
    let changedTotal = run.changed;
    for (;;) {
      const schemas = await this.aggregation.prepare(tenantId, run.resourceType);
      const ids = await this.store.goldenIds(
        this.store.db,
        tenantId,
        run.resourceType,
        cursor,
        RECOMPUTE_BATCH,
      );
      if (ids.length === 0) break;
      let changed = 0;
      let superseded = false;
      // Types holding members (group_members) go record by record; the others a batch at a time.
      const perRecord = schemas.findAttribute(schemas.core, 'members') !== undefined;
      if (!perRecord) {
        const outcome = await this.store.transaction(async (tx) => {
          const config = await this.aggregation.config(tenantId, run.resourceType, tx, schemas);
          if (config.revision > run.revision) return 'superseded' as const;
          return this.batches.recomputeMany(tx, ctx, config, ids);
        });
        if (outcome === 'superseded') superseded = true;
        else changed = outcome;
      }
      for (const id of perRecord ? ids : []) {
        const outcome = await this.store.transaction(async (tx) => {
          const current = await this.store.lockGolden(tx, tenantId, run.resourceType, id);
          if (!current) return 'gone' as const;
          if (current.ruleRevision > run.revision) return 'superseded' as const;
          const config = await this.aggregation.config(
            tenantId,
            run.resourceType,
            tx,
            schemas,
            current.ruleRevision,
          );
          const result = await this.aggregation.resolveAndStore(tx, ctx, config, current, {
            contributions: current.contributions,
            reindex: true,
          });
          return result.changed ? ('changed' as const) : ('same' as const);
        });
        if (outcome === 'superseded') {
          superseded = true;
          break;
        }
        if (outcome === 'changed') changed++;
      }
      if (superseded) {
        await this.runs.finish(tenantId, runId, 'superseded');
        return;
      }
      cursor = ids[ids.length - 1]!;
      changedTotal += changed;
      await this.runs.progress(tenantId, runId, { processed: ids.length, changed, cursor });
    }
    await this.runs.finish(tenantId, runId, 'done');
    await this.audit.append(tenantId, {
      actorType: 'system',
      actorId: `recompute:${runId}`,
      action: 'engine.recompute.done',
      resourceType: run.resourceType,
      detail: { run: runId, revision: run.revision, changed: changedTotal },
    });
    this.logger.log({ tenantId, runId, changed: changedTotal }, 'recompute done');
  }
}
