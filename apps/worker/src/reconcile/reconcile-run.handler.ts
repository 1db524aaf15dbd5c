import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { asTenantId } from '@hub/persistence';
import { JobName, OnJob, type JobPayloads } from '@hub/queue';
import { ReconcileRequests, ReconcileRunner } from '@hub/reconcile';

/**
 * Reconciliation jobs (ADR 0702). The run's state is in `reconcile_runs`; a duplicated or retried
 * job reloads it and does only what is left.
 */
@Injectable()
export class ReconcileRunHandler implements OnApplicationBootstrap {
  private readonly logger = new Logger(ReconcileRunHandler.name);

  constructor(
    private readonly runner: ReconcileRunner,
    private readonly requests: ReconcileRequests,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // Redis holds the schedulers, the targets table holds the truth: re-create them (idempotent).
    await this.requests
      .applyAllSchedules()
      .catch((error: Error) =>
        this.logger.warn({ err: error.message }, 'reconciliation schedules not applied'),
      );
  }

  /** A target type's cron fired: open a run (unless one is open) and run it in this job. */
  @OnJob(JobName.ReconcileScheduled)
  async handleReconcileScheduled(data: JobPayloads[typeof JobName.ReconcileScheduled]): Promise<void> {
    const tenantId = asTenantId(data.tenantId);
    const run = await this.requests.scheduled(tenantId, data.targetId, data.resourceType);
    if (run) await this.runner.run(tenantId, run.id);
  }

  @OnJob(JobName.ReconcileRun)
  async handleReconcileRun(data: JobPayloads[typeof JobName.ReconcileRun]): Promise<string | undefined> {
    const run = await this.runner.run(asTenantId(data.tenantId), data.runId);
    return run?.status;
  }
}
