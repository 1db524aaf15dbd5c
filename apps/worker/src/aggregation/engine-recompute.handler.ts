import { Injectable } from '@nestjs/common';
import { RecomputeService } from '@hub/aggregation';
import { asTenantId } from '@hub/persistence';
import { JobName, OnJob, type JobPayloads } from '@hub/queue';

/** Recomputes golden records after a rule change; progress lives in the run's row (ADR 0203). */
@Injectable()
export class EngineRecomputeHandler {
  constructor(private readonly recompute: RecomputeService) {}

  @OnJob(JobName.EngineRecompute)
  async handleEngineRecompute(data: JobPayloads[typeof JobName.EngineRecompute]): Promise<void> {
    // A retried or duplicated job continues from the run's saved cursor; a finished one is a no-op.
    await this.recompute.run(asTenantId(data.tenantId), data.runId);
  }
}
