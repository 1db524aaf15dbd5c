import { Injectable, Logger } from '@nestjs/common';
import { nextLifecycle } from '@hub/engine';
import { AuditRepository, EngineStore } from '@hub/persistence';
import { AggregationService, type AssertionContext } from './aggregation.service';

const BATCH = 200;

/**
 * The engine's scheduled work (ADR 0203), safe to run on several workers at once:
 * - suspended records whose grace period is over are deleted (RFC 7642 §2.4.3: terminate later);
 * - parked contributions try to correlate again (they join when their identity appears).
 */
@Injectable()
export class EngineSweepService {
  private readonly logger = new Logger(EngineSweepService.name);

  constructor(
    private readonly aggregation: AggregationService,
    private readonly store: EngineStore,
    private readonly audit: AuditRepository,
  ) {}

  async sweep(): Promise<{ deleted: number; joined: number; cases: number }> {
    const deleted = await this.deleteDue();
    const { joined, cases } = await this.rejoinParked();
    if (deleted + joined + cases > 0) this.logger.log({ deleted, joined, cases }, 'engine sweep');
    return { deleted, joined, cases };
  }

  /** Deletes suspended records past their grace period (one transaction each, under the row lock). */
  async deleteDue(): Promise<number> {
    let deleted = 0;
    for (const due of await this.store.dueForDeletion(BATCH)) {
      const schemas = await this.aggregation.prepare(due.tenantId, due.resourceType);
      const done = await this.store.transaction(async (tx) => {
        const current = await this.store.lockGolden(tx, due.tenantId, due.resourceType, due.id);
        if (!current || current.lifecycleState !== 'suspended') return false;
        const config = await this.aggregation.config(
          due.tenantId,
          due.resourceType,
          tx,
          schemas,
          current.ruleRevision,
        );
        const policy = config.lifecycle ?? { authorities: [], graceMs: 0 };
        const t = nextLifecycle(
          {
            state: 'suspended',
            since: current.suspendedAt ?? current.updatedAt,
            deleteAfter: current.deleteAfter,
          },
          { kind: 'tick' },
          new Date(),
          policy,
        );
        if (t.effect !== 'delete') return false;
        const ctx = system(due.tenantId);
        await this.aggregation.deleteGolden(tx, ctx, current, t.why);
        await this.audit.append(
          due.tenantId,
          {
            actorType: 'system',
            actorId: 'engine-sweep',
            action: `engine.${due.resourceType}.deleted`,
            resourceType: due.resourceType,
            resourceId: due.id,
            detail: { version: current.version + 1, why: t.why },
          },
          tx,
        );
        return true;
      });
      if (done) deleted++;
    }
    return deleted;
  }

  /** Parked contributions correlate again: one match joins, several open a case. */
  async rejoinParked(): Promise<{ joined: number; cases: number }> {
    let joined = 0;
    let cases = 0;
    let after: string | null = null;
    for (;;) {
      const batch = await this.store.parked(BATCH, after);
      if (batch.length === 0) break;
      after = batch[batch.length - 1]!.id;
      for (const p of batch) {
        const schemas = await this.aggregation.prepare(p.tenantId, p.resourceType);
        const outcome = await this.store.transaction(async (tx) => {
          const parked = await this.store.lockParked(tx, p.tenantId, p.id);
          if (!parked) return 'parked' as const;
          const config = await this.aggregation.config(p.tenantId, p.resourceType, tx, schemas);
          return this.aggregation.rejoin(
            tx,
            { ...system(p.tenantId), sourceId: parked.sourceId },
            config,
            parked,
          );
        });
        if (outcome === 'joined') joined++;
        if (outcome === 'case') cases++;
      }
      if (batch.length < BATCH) break;
    }
    return { joined, cases };
  }
}

function system(tenantId: AssertionContext['tenantId']): AssertionContext {
  return { tenantId, sourceId: '', actor: { type: 'system', id: 'engine-sweep' }, channel: 'engine:sweep' };
}
