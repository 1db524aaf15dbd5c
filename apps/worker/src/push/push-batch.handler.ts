import { Injectable } from '@nestjs/common';
import { asTenantId } from '@hub/persistence';
import { PushService } from '@hub/push';
import { JobName, OnJob, type JobPayloads } from '@hub/queue';

/** A fan-out's records for one target, pushed in lanes under the target's slots (ADR 0604). */
@Injectable()
export class PushBatchHandler {
  constructor(private readonly push: PushService) {}

  @OnJob(JobName.PushBatch)
  async handlePushBatch(data: JobPayloads[typeof JobName.PushBatch]): Promise<string> {
    const r = await this.push.handleBatch(asTenantId(data.tenantId), data.targetId, data.resourceIds);
    return `${r.pushed} pushed, ${r.deferred} deferred`;
  }
}
