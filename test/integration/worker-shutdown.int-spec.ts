import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { asTenantId, WorkerPingRepository } from '../../libs/persistence/src';
import { bullJobOptions, JobName, QueueName, redisConnectionOptions } from '../../libs/queue/src';
import { createTestEnv, type TestEnv } from '../harness/hub-fixture';
import { eventually, spawnApp, type HubProcess } from '../harness/processes';

/**
 * The real worker process, real Redis and Postgres: a job in flight when the worker is told to
 * stop is either finished (within the grace period) or handed back to the queue — never lost,
 * never run to completion twice.
 */
// Nest re-raises the signal once its shutdown hooks are done, so a clean stop ends "by SIGTERM".
const CLEAN_EXIT = { code: null, signal: 'SIGTERM' };

describe('worker shutdown', () => {
  let env: TestEnv;
  let queue: Queue;
  let pings: WorkerPingRepository;
  let tenantId: ReturnType<typeof asTenantId>;
  const workers: HubProcess[] = [];

  let prefix: string;

  beforeAll(async () => {
    env = await createTestEnv();
    pings = new WorkerPingRepository(env.prisma);
    tenantId = (await env.createTenant()).tenant.id;
  });
  // A queue prefix per test: BullMQ's queue-wide stalled-check interval must not leak between tests.
  beforeEach(() => {
    prefix = `w${randomUUID().slice(0, 8)}`;
    queue = new Queue(QueueName.System, { connection: redisConnectionOptions(env.config.redis.url), prefix });
  });
  afterEach(async () => {
    for (const w of workers.splice(0)) {
      w.child.kill('SIGKILL');
      await w.exited;
    }
    await queue.close();
  });
  afterAll(async () => {
    await env.close();
  });

  const startWorker = async (extra: Record<string, string>) => {
    const worker = spawnApp('worker', { ...env.env, QUEUE_PREFIX: prefix, LOG_LEVEL: 'info', ...extra });
    workers.push(worker);
    await worker.waitForOutput(/worker started/);
    return worker;
  };

  const enqueuePing = async (holdMs: number) => {
    const ping = await pings.create(tenantId, holdMs);
    await queue.add(
      JobName.WorkerPing,
      { v: 1, tenantId, pingId: ping.id },
      bullJobOptions(JobName.WorkerPing, { jobId: `ping-${ping.id}` }),
    );
    return ping.id;
  };

  const pingState = (id: string) => pings.get(tenantId, id);

  it('finishes an in-flight job within the grace period before exiting', async () => {
    const worker = await startWorker({ SHUTDOWN_GRACE_MS: '20000' });
    const id = await enqueuePing(1500);
    await eventually(async () => ((await pingState(id))?.startedAt ? true : undefined), 10_000, 'job start');
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toEqual(CLEAN_EXIT);
    const state = await pingState(id);
    expect(state).toMatchObject({ attempts: 1, completions: 1 });
    expect(await (await queue.getJob(`ping-${id}`))?.getState()).toBe('completed');
  });

  it('hands a job still running at the end of the grace period back to the queue, and another worker completes it once', async () => {
    const first = await startWorker({ SHUTDOWN_GRACE_MS: '300' });
    const id = await enqueuePing(4000);
    await eventually(async () => ((await pingState(id))?.startedAt ? true : undefined), 10_000, 'job start');
    const stoppedAt = Date.now();
    first.child.kill('SIGTERM');
    expect(await first.exited).toEqual(CLEAN_EXIT);
    expect(Date.now() - stoppedAt).toBeLessThan(3000); // did not sit out the 4 s job
    expect(first.output()).toContain('job returned to the queue at shutdown');
    expect(await (await queue.getJob(`ping-${id}`))!.getState()).toBe('waiting');
    expect(await pingState(id)).toMatchObject({ attempts: 1, completions: 0 });

    await startWorker({ SHUTDOWN_GRACE_MS: '20000' });
    const done = await eventually(
      async () => {
        const s = await pingState(id);
        return s?.completedAt ? s : undefined;
      },
      15_000,
      'job completion',
    );
    expect(done).toMatchObject({ attempts: 2, completions: 1 });
    const job = (await queue.getJob(`ping-${id}`))!;
    expect(await job.getState()).toBe('completed');
  });

  it('recovers a job whose worker was killed with SIGKILL once its lock expires', async () => {
    const first = await startWorker({ JOB_LOCK_MS: '1500' });
    const id = await enqueuePing(2000);
    await eventually(async () => ((await pingState(id))?.startedAt ? true : undefined), 10_000, 'job start');
    first.child.kill('SIGKILL');
    await first.exited;
    expect(await pingState(id)).toMatchObject({ attempts: 1, completions: 0 });

    await startWorker({ JOB_LOCK_MS: '1500' });
    const done = await eventually(
      async () => {
        const s = await pingState(id);
        return s?.completedAt ? s : undefined;
      },
      20_000,
      'job completion after stall recovery',
    );
    expect(done).toMatchObject({ attempts: 2, completions: 1 });
  });
});
