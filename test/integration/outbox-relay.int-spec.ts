import { Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { OutboxRepository } from '../../libs/persistence/src';
import { QueueName, redisConnectionOptions } from '../../libs/queue/src';
import { createTestEnv, type TestEnv } from '../harness/hub-fixture';
import { eventually, spawnApp, type HubProcess } from '../harness/processes';

/**
 * The real worker process relays outbox rows to BullMQ. The events queue is not consumed here
 * (WORKER_QUEUES=system), so every relayed change is still visible as a waiting job.
 */
describe('outbox relay', () => {
  let env: TestEnv;
  let outbox: OutboxRepository;
  let tenantId: string;
  let prefix: string;
  let events: Queue;
  const workers: HubProcess[] = [];

  beforeAll(async () => {
    env = await createTestEnv();
    outbox = new OutboxRepository(env.prisma);
    tenantId = (await env.createTenant()).tenant.id;
  });
  beforeEach(() => {
    prefix = `o${randomUUID().slice(0, 8)}`;
    events = new Queue(QueueName.Events, {
      connection: redisConnectionOptions(env.config.redis.url),
      prefix,
    });
  });
  afterEach(async () => {
    for (const w of workers.splice(0)) {
      w.child.kill('SIGKILL');
      await w.exited;
    }
    await events.close();
    await env.prisma.$executeRawUnsafe('DELETE FROM outbox');
  });
  afterAll(() => env.close());

  const startWorker = async (extra: Record<string, string> = {}) => {
    const w = spawnApp('worker', {
      ...env.env,
      QUEUE_PREFIX: prefix,
      WORKER_QUEUES: 'system',
      LOG_LEVEL: 'info',
      ...extra,
    });
    workers.push(w);
    await w.waitForOutput(/worker started/);
    return w;
  };
  const insert = (n: number) =>
    env.prisma.$executeRawUnsafe(
      `INSERT INTO outbox (tenant_id, resource_type, resource_id, version, kind)
       SELECT '${tenantId}', 'User', gen_random_uuid(), 1, 'created' FROM generate_series(1, ${n})`,
    );
  const allSeqs = async () =>
    (await env.prisma.$queryRawUnsafe<Array<{ seq: bigint }>>('SELECT seq FROM outbox ORDER BY seq')).map(
      (r) => String(r.seq),
    );
  /** Every change the queued jobs carry, by sequence (a change in two jobs appears twice). */
  const relayedSeqs = async () =>
    (await events.getJobs(['waiting', 'prioritized', 'delayed'], 0, -1))
      .flatMap((j) => (j.data as { events: Array<{ seq: string }> }).events.map((e) => e.seq))
      .sort();

  it('is woken by NOTIFY at commit rather than by its poll', async () => {
    await startWorker({ OUTBOX_POLL_MS: '60000' });
    await insert(1);
    await eventually(
      async () => ((await outbox.pendingCount()) === 0 ? true : undefined),
      5000,
      'relay after NOTIFY',
    );
    const [job] = await events.getJobs(['waiting']);
    expect(job!.data).toMatchObject({
      v: 1,
      events: [{ tenantId, resourceType: 'User', version: 1, kind: 'created' }],
    });
  });

  it('loses nothing and duplicates nothing when killed mid-batch and restarted', async () => {
    await insert(20_000);
    // Small batches, so the kill lands between two of them.
    const first = await startWorker({ OUTBOX_BATCH_SIZE: '100' });
    // Kill it once some, but not all, rows have been relayed.
    await eventually(
      async () => {
        const pending = await outbox.pendingCount();
        return pending < 20_000 ? pending : undefined;
      },
      20_000,
      'first relayed batch',
    );
    first.child.kill('SIGKILL');
    await first.exited;
    const pendingAfterKill = await outbox.pendingCount();
    expect(pendingAfterKill).toBeGreaterThan(0);

    // The same batch size: a batch published but not committed before the kill is cut the same
    // way again, and its job id (its range of sequences) keeps BullMQ from queueing it twice.
    await startWorker({ OUTBOX_BATCH_SIZE: '100' });
    await eventually(
      async () => ((await outbox.pendingCount()) === 0 ? true : undefined),
      30_000,
      'relay to finish',
    );
    const expected = (await allSeqs()).sort();
    expect(expected).toHaveLength(20_000);
    expect(await relayedSeqs()).toEqual(expected);
    expect(await events.getJobCountByTypes('waiting', 'prioritized', 'delayed')).toBe(200);
  });
});
