import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { EngineSweepService } from '@hub/aggregation';
import { JobName, JobQueue, OnJob, QueueName, type JobPayloads } from '@hub/queue';

/** How often the engine sweep runs (grace-period deletions, parked contributions rejoining). */
export const ENGINE_SWEEP_EVERY_MS = 60_000;

/** The scheduled engine sweep: one BullMQ job scheduler, whichever worker takes each run. */
@Injectable()
export class EngineSweepHandler implements OnApplicationBootstrap {
  private readonly logger = new Logger(EngineSweepHandler.name);

  constructor(
    private readonly sweeper: EngineSweepService,
    private readonly jobs: JobQueue,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // Idempotent: every worker upserts the same scheduler; BullMQ keeps one.
    await this.jobs
      .queue(QueueName.System)
      .upsertJobScheduler(
        'engine-sweep',
        { every: ENGINE_SWEEP_EVERY_MS },
        { name: JobName.EngineSweep, data: { v: 1 } satisfies JobPayloads[typeof JobName.EngineSweep] },
      )
      .catch((error: Error) => this.logger.warn({ err: error.message }, 'engine sweep not scheduled'));
  }

  @OnJob(JobName.EngineSweep)
  async handleEngineSweep(_data: JobPayloads[typeof JobName.EngineSweep]): Promise<void> {
    await this.sweeper.sweep();
  }
}
