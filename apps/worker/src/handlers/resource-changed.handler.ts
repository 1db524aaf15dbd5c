import { Injectable } from '@nestjs/common';
import { JobName, OnJob, type JobPayloads } from '@hub/queue';

/**
 * A committed golden-record change. This is where the change fans out to the per-target push
 * jobs of Active Push; until targets exist (issue 6) nothing consumes it, and the outbox keeps
 * the change feed for clients that pull.
 */
@Injectable()
export class ResourceChangedHandler {
  @OnJob(JobName.ResourceChanged)
  async handleResourceChanged(_data: JobPayloads[typeof JobName.ResourceChanged]): Promise<void> {
    // Intentionally empty until targets exist: see the class comment.
  }
}
