import { Injectable } from '@nestjs/common';
import { asTenantId } from '@hub/persistence';
import { PushService } from '@hub/push';
import { JobName, OnJob, type JobContext, type JobPayloads } from '@hub/queue';

/** One level-triggered push of (target, resource); follow-ups (delays, retries) are enqueued by PushService. */
@Injectable()
export class PushResourceHandler {
  constructor(private readonly push: PushService) {}

  @OnJob(JobName.PushResource)
  async handlePushResource(
    data: JobPayloads[typeof JobName.PushResource],
    context: JobContext,
  ): Promise<string> {
    const result = await this.push.handle(
      asTenantId(data.tenantId),
      data.targetId,
      data.resourceId,
      context.jobId,
    );
    return result.kind;
  }
}
