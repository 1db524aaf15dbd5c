import { Injectable, Logger } from '@nestjs/common';
import {
  AuditRepository,
  ReconcileRunRepository,
  type ReconcileRunRecord,
  type TenantId,
} from '@hub/persistence';
import { HttpRequestError } from '@hub/scim-client';
import { SourceReconciler } from './source-reconciler.service';
import { describe, ReconcileStop, TargetReconciler } from './target-reconciler.service';

/**
 * Runs a queued reconciliation (or restarts one a dead worker left running: comparisons are
 * idempotent and remediation goes through links). Any other state is a no-op, so a duplicated
 * job does nothing. The subject's answers end the run as `failed` with the reason; the hub's own
 * failures (database, Redis) are rethrown for the job's retries.
 */
@Injectable()
export class ReconcileRunner {
  private readonly logger = new Logger(ReconcileRunner.name);

  constructor(
    private readonly runs: ReconcileRunRepository,
    private readonly targets: TargetReconciler,
    private readonly sources: SourceReconciler,
    private readonly audit: AuditRepository,
  ) {}

  async run(tenantId: TenantId, runId: string): Promise<ReconcileRunRecord | null> {
    const queued = await this.runs.get(tenantId, runId);
    if (!queued || (queued.status !== 'queued' && queued.status !== 'running')) return queued;
    const run = await this.runs.start(tenantId, runId);
    if (!run) return this.runs.get(tenantId, runId);
    try {
      if (run.subjectKind === 'target') await this.targets.run(tenantId, run);
      else await this.sources.run(tenantId, run);
      await this.runs.finish(tenantId, runId, 'done');
    } catch (error) {
      if (!(error instanceof ReconcileStop) && !isRemote(error)) {
        await this.runs.finish(tenantId, runId, 'failed', describe(error)).catch(() => undefined);
        throw error;
      }
      await this.runs.finish(tenantId, runId, 'failed', describe(error));
      this.logger.warn({ tenantId, runId, err: describe(error) }, 'reconciliation failed');
    }
    const done = await this.runs.get(tenantId, runId);
    await this.audit
      .append(tenantId, {
        actorType: 'system',
        actorId: `reconcile:${runId}`,
        action: `reconcile.run.${done?.status ?? 'failed'}`,
        resourceType: 'ReconcileRun',
        resourceId: runId,
        detail: {
          subject: { kind: run.subjectKind, id: run.subjectId },
          counts: done?.counts ?? {},
          error: done?.error ?? null,
        },
      })
      .catch((error: Error) => this.logger.error({ err: error.message }, 'reconciliation audit failed'));
    return done;
  }
}

function isRemote(error: unknown): boolean {
  return error instanceof HttpRequestError;
}
