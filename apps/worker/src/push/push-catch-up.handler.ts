import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { PushService } from '@hub/push';
import { JobName, JobQueue, OnJob, QueueName, type JobPayloads } from '@hub/queue';

/** How often quarantined targets are considered for a probe and dirty links are re-enqueued. */
export const PUSH_CATCH_UP_EVERY_MS = Number(process.env.PUSH_CATCH_UP_EVERY_MS ?? 3_000);

/** The scheduled catch-up: one BullMQ job scheduler, whichever worker takes each run. */
@Injectable()
export class PushCatchUpHandler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PushCatchUpHandler.name);
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly push: PushService,
    private readonly jobs: JobQueue,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.schedule();
    // The scheduler lives in Redis: a Redis that restarted empty forgets it while this worker runs
    // on. Upserting is idempotent, so every replica re-asserts it now and then.
    this.timer = setInterval(() => void this.schedule(), 10 * PUSH_CATCH_UP_EVERY_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  private async schedule(): Promise<void> {
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
