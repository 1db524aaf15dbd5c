import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { Worker, WaitingError, type Job } from 'bullmq';
import { hostname } from 'node:os';
import { HUB_CONFIG, type HubConfig } from '@hub/config';
import {
  ALL_QUEUES,
  JOB_HANDLER,
  JOB_QUEUE,
  JobName,
  jobsOfQueue,
  redisConnectionOptions,
  type JobContext,
  type QueueName,
} from '@hub/queue';

type Handler = (data: unknown, context: JobContext) => Promise<unknown>;

/**
 * Runs the BullMQ workers of this process. Handlers are provider methods marked @OnJob; they are
 * discovered at boot and the process refuses to start if a consumed job has no handler or two.
 * On SIGTERM it stops taking jobs and lets in-flight ones finish within SHUTDOWN_GRACE_MS; jobs
 * still running then are handed back to the queue (not failed, not lost) for another worker.
 */
@Injectable()
export class JobRunner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(JobRunner.name);
  private readonly workers: Worker[] = [];
  private readonly workerId = `${hostname()}:${process.pid}`;
  private shuttingDown = false;
  private handlers = new Map<JobName, Handler>();

  constructor(
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {}

  onApplicationBootstrap(): void {
    this.handlers = this.discoverHandlers();
    const queues = this.consumedQueues();
    for (const queue of queues) {
      const missing = jobsOfQueue(queue).filter((name) => !this.handlers.has(name));
      if (missing.length) throw new Error(`no handler for job(s) ${missing.join(', ')} of queue ${queue}`);
    }
    for (const queue of queues) {
      if (jobsOfQueue(queue).length === 0) continue; // nothing to do there yet
      this.workers.push(this.startWorker(queue));
    }
    this.logger.log({ queues, workerId: this.workerId }, 'worker started');
  }

  /** Before the database pool and queues close (onApplicationShutdown), so draining jobs can still write. */
  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.shuttingDown = true;
    this.logger.log({ signal, graceMs: this.config.worker.shutdownGraceMs }, 'worker shutting down');
    await Promise.all(this.workers.map((worker) => this.closeGracefully(worker)));
    this.logger.log('worker stopped');
  }

  private consumedQueues(): QueueName[] {
    const wanted = this.config.worker.queues;
    if (wanted === 'all') return [...ALL_QUEUES];
    const unknown = wanted.filter((q) => !ALL_QUEUES.includes(q as QueueName));
    if (unknown.length)
      throw new Error(
        `WORKER_QUEUES names unknown queue(s): ${unknown.join(', ')} (known: ${ALL_QUEUES.join(', ')})`,
      );
    return wanted as QueueName[];
  }

  private discoverHandlers(): Map<JobName, Handler> {
    const found = new Map<JobName, Handler>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object') continue;
      const prototype = Object.getPrototypeOf(instance) as object;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const fn = instance[method] as (...args: unknown[]) => unknown;
        const name = Reflect.getMetadata(JOB_HANDLER, fn) as JobName | undefined;
        if (!name) continue;
        if (!(name in JOB_QUEUE)) throw new Error(`${wrapper.name}.${method} handles unknown job ${name}`);
        if (found.has(name))
          throw new Error(`job ${name} has two handlers (second: ${wrapper.name}.${method})`);
        found.set(name, (data, context) => Promise.resolve(fn.call(instance, data, context)));
      }
    }
    return found;
  }

  private startWorker(queue: QueueName): Worker {
    const worker = new Worker(queue, (job, token, signal) => this.process(job, token, signal), {
      connection: redisConnectionOptions(this.config.redis.url),
      prefix: this.config.redis.queuePrefix,
      concurrency: this.config.worker.concurrency,
      lockDuration: this.config.worker.lockMs,
      stalledInterval: this.config.worker.lockMs,
      autorun: true,
    });
    worker.on('failed', (job, error) =>
      this.logger.warn(
        { queue, job: job?.name, jobId: job?.id, attempt: job?.attemptsMade, err: error.message },
        'job failed',
      ),
    );
    worker.on('error', (error) => this.logger.error({ queue, err: error.message }, 'worker error'));
    return worker;
  }

  private async process(
    job: Job,
    token: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    const handler = this.handlers.get(job.name as JobName);
    if (!handler) throw new Error(`no handler for job ${job.name}`);
    const abort = signal ?? new AbortController().signal;
    const run = handler(job.data, {
      jobId: job.id!,
      attempt: job.attemptsMade + 1,
      signal: abort,
      workerId: this.workerId,
    });
    const aborted = new Promise<'aborted'>((resolve) => {
      if (abort.aborted) resolve('aborted');
      abort.addEventListener('abort', () => resolve('aborted'), { once: true });
    });
    const outcome = await Promise.race([run.then((value) => ({ value })), aborted]);
    if (outcome === 'aborted') {
      run.catch(() => undefined); // the handler may still settle; its result no longer matters
      if (this.shuttingDown) {
        // Hand the job back so another worker runs it now rather than after the lock expires.
        await job.moveToWait(token);
        this.logger.warn({ job: job.name, jobId: job.id }, 'job returned to the queue at shutdown');
        throw new WaitingError();
      }
      throw new Error('job cancelled');
    }
    return outcome.value;
  }

  private async closeGracefully(worker: Worker): Promise<void> {
    const closing = worker.close();
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.config.worker.shutdownGraceMs);
    });
    const first = await Promise.race([closing.then(() => 'closed' as const), graceOver]);
    clearTimeout(timer);
    if (first === 'timeout') {
      worker.cancelAllJobs('shutdown');
      await closing;
    }
  }
}
