import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { PushService } from '@hub/push';
import { JobName, JobQueue, OnJob, QueueName, type JobPayloads } from '@hub/queue';

/** How often quarantined targets are considered for a probe and dirty links are re-enqueued. */
export const PUSH_CATCH_UP_EVERY_MS = Number(process.env.PUSH_CATCH_UP_EVERY_MS ?? 3_000);

/** The scheduled catch-up: one BullMQ job scheduler, whichever worker takes each run. */
@Injectable()
export class PushCatchUpHandler implements OnApplicationBootstrap {
  private readonly logger = new Logger(PushCatchUpHandler.name);

  constructor(
    private readonly push: PushService,
    private readonly jobs: JobQueue,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.jobs
      .queue(QueueName.Push)
      .upsertJobScheduler(
        'push-catch-up',
        { every: PUSH_CATCH_UP_EVERY_MS },
        { name: JobName.PushCatchUp, data: { v: 1 } satisfies JobPayloads[typeof JobName.PushCatchUp] },
      )
      .catch((error: Error) => this.logger.warn({ err: error.message }, 'push catch-up not scheduled'));
  }

  @OnJob(JobName.PushCatchUp)
  async handlePushCatchUp(_data: JobPayloads[typeof JobName.PushCatchUp]) {
    return this.push.catchUp();
  }
}
