import { Injectable } from '@nestjs/common';
import { asTenantId } from '@hub/persistence';
import { PushService } from '@hub/push';
import { JobName, OnJob, type JobPayloads } from '@hub/queue';

/**
 * Committed golden-record changes (relayed from the outbox): fan them out to Active Push. Each
 * target provisioning the type gets its link's desired version raised, and the records as push
 * batches (ADR 0604). The single-change job is what relays before ADR 0604 published; it is
 * still handled until such jobs have drained.
 */
@Injectable()
export class ResourceChangedHandler {
  constructor(private readonly push: PushService) {}

  @OnJob(JobName.ResourcesChanged)
  async handleResourcesChanged(data: JobPayloads[typeof JobName.ResourcesChanged]): Promise<number> {
    return this.push.fanOutMany(data.events.map((e) => ({ ...e, tenantId: asTenantId(e.tenantId) })));
  }

  @OnJob(JobName.ResourceChanged)
  async handleResourceChanged(data: JobPayloads[typeof JobName.ResourceChanged]): Promise<number> {
    return this.push.fanOut(asTenantId(data.tenantId), data.resourceType, data.resourceId, data.version);
  }
}
