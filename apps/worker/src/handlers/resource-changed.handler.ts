import { Injectable } from '@nestjs/common';
import { asTenantId } from '@hub/persistence';
import { PushService } from '@hub/push';
import { JobName, OnJob, type JobPayloads } from '@hub/queue';

/**
 * A committed golden-record change (relayed from the outbox): fan it out to Active Push. Each
 * target provisioning the type gets its link's desired version raised and a push job whose id
 * coalesces a burst for the same (target, resource).
 */
@Injectable()
export class ResourceChangedHandler {
  constructor(private readonly push: PushService) {}

  @OnJob(JobName.ResourceChanged)
  async handleResourceChanged(data: JobPayloads[typeof JobName.ResourceChanged]): Promise<number> {
    return this.push.fanOut(asTenantId(data.tenantId), data.resourceType, data.resourceId, data.version);
  }
}
