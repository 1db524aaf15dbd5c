import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { bullJobOptions, JOB_QUEUE, JobName, QueueName, type JobOptions, type JobPayloads } from './jobs';

/** Producer side: the only way the rest of the code enqueues work. */
@Injectable()
export class JobQueue {
  private readonly queues: Record<QueueName, Queue>;

  constructor(
    @InjectQueue(QueueName.System) system: Queue,
    @InjectQueue(QueueName.Push) push: Queue,
    @InjectQueue(QueueName.Sync) sync: Queue,
    @InjectQueue(QueueName.Reconcile) reconcile: Queue,
    @InjectQueue(QueueName.Events) events: Queue,
  ) {
    this.queues = { system, push, sync, reconcile, events };
  }

  async enqueue<N extends JobName>(name: N, data: JobPayloads[N], options?: JobOptions): Promise<string> {
    const job = await this.queues[JOB_QUEUE[name]].add(name, data, bullJobOptions(name, options));
    return job.id!;
  }

  /** Many jobs of one kind in one round trip (BullMQ `addBulk`); resolves when all are queued. */
  async enqueueMany<N extends JobName>(
    name: N,
    jobs: readonly { data: JobPayloads[N]; options?: JobOptions }[],
  ): Promise<void> {
    if (!jobs.length) return;
    await this.queues[JOB_QUEUE[name]].addBulk(
      jobs.map((j) => ({ name, data: j.data, opts: bullJobOptions(name, j.options) })),
    );
  }

  queue(name: QueueName): Queue {
    return this.queues[name];
  }
}
