import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { asTenantId } from '@hub/persistence';
import { JobName, OnJob, type JobPayloads } from '@hub/queue';
import { SyncRequests, SyncRunner } from '@hub/sync';

/**
 * Source sync jobs (ADR 0503). The run's state is in `sync_runs`; a duplicated or retried job
 * reloads it and does only what is left.
 */
@Injectable()
export class SyncRunHandler implements OnApplicationBootstrap {
  private readonly logger = new Logger(SyncRunHandler.name);

  constructor(
    private readonly runner: SyncRunner,
    private readonly requests: SyncRequests,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // Redis holds the schedulers, the table holds the truth: re-create them (idempotent upserts).
    await this.requests
      .applyAllSchedules()
      .catch((error: Error) => this.logger.warn({ err: error.message }, 'source schedules not applied'));
  }

  /** A source's cron fired: open a run (unless one is open) and run it in this job. */
  @OnJob(JobName.SyncScheduled)
  async handleSyncScheduled(data: JobPayloads[typeof JobName.SyncScheduled]): Promise<void> {
    const tenantId = asTenantId(data.tenantId);
    const run = await this.requests.scheduled(tenantId, data.sourceId);
    if (run) await this.runner.run(tenantId, run.id);
  }

  @OnJob(JobName.SyncRun)
  async handleSyncRun(data: JobPayloads[typeof JobName.SyncRun]): Promise<void> {
    await this.runner.run(asTenantId(data.tenantId), data.runId);
  }

  @OnJob(JobName.SyncConfirm)
  async handleSyncConfirm(data: JobPayloads[typeof JobName.SyncConfirm]): Promise<void> {
    await this.runner.confirm(asTenantId(data.tenantId), data.runId);
  }
}
