import { TargetRepository } from '../../libs/persistence/src';
import { PushService, STATISTICS_AFTER_LINKS, identityUsers } from '../../libs/push/src';
import { JobQueue, QueueName } from '../../libs/queue/src';
import { loadUsers } from '../harness/bulk-users';
import { startHub, type RunningHub } from '../harness/hub-fixture';
import { eventually } from '../harness/processes';
import { inboundScimSource } from '../harness/push-fixture';

/**
 * Backfill fairness (ADR 0602): a target levelled with every record queues its pushes in priority
 * blocks, so a target levelled a tick later is not queued behind the whole population of the
 * first, and a change to a record (no priority) goes before every backfill; a bulk levelling
 * refreshes the links' planner statistics. Asserted on the push
 * queue itself (this worker consumes no push jobs, so the queue keeps its order).
 */
describe('Active Push backfill', () => {
  let hub: RunningHub;
  beforeAll(async () => (hub = await startHub('events')));
  afterAll(() => hub?.close());

  /** Every committed change relayed and fanned out (the events queue idle). */
  const fannedOut = async () => {
    const { env, worker } = hub;
    const events = worker.get(JobQueue).queue(QueueName.Events);
    await eventually(
      async () => {
        const [row] = await env.prisma.rawQuery<{ n: number }>(
          'SELECT count(*)::int AS n FROM outbox WHERE relayed_at IS NULL',
          [],
        );
        const busy = await events.getJobCounts('wait', 'active', 'delayed', 'prioritized');
        return row?.n === 0 && Object.values(busy).every((n) => n === 0) ? true : undefined;
      },
      20_000,
      'changes fanned out',
    );
  };

  it('takes turns between targets levelled at different times, and lets changes go first', async () => {
    const { api, worker, tenantId } = hub;
    const { sourceId } = await inboundScimSource(api, tenantId);
    // 250 users exist before any target does.
    await loadUsers(api.app, tenantId, sourceId, 0, 250, (i) => ({ userName: `crew${i}` }));
    await fannedOut(); // their changes found no target
    const targets = worker.get(TargetRepository);
    const push = worker.get(PushService);
    const addTarget = async (name: string) =>
      (
        await targets.create(tenantId, {
          name,
          baseUrl: 'http://127.0.0.1:9/scim/v2', // never called: nothing consumes the push queue here
          auth: { kind: 'none' },
          resourceTypes: identityUsers(),
          rateLimit: 100,
          concurrency: 2,
        })
      ).id;
    const first = await addTarget('first');
    // A bulk levelling refreshes the links' planner statistics (the threshold lowered to 250).
    const analysed = async () =>
      (
        await hub.env.prisma.rawQuery<{ at: Date | null }>(
          `SELECT last_analyze AS at FROM pg_stat_user_tables WHERE relname = 'target_links'`,
          [],
        )
      )[0]!.at;
    expect(await analysed()).toBeNull();
    push.statisticsAfterLinks = 250;
    expect(await push.closeGaps()).toBe(250);
    expect(await analysed()).toBeInstanceOf(Date);
    push.statisticsAfterLinks = STATISTICS_AFTER_LINKS;
    const second = await addTarget('second');
    expect(await push.closeGaps()).toBe(250); // the first is levelled already

    const queue = worker.get(JobQueue).queue(QueueName.Push);
    const order = (await queue.getJobs(['prioritized'], 0, -1, true)).map((j) =>
      j.data.targetId === first ? 'first' : 'second',
    );
    expect(order).toHaveLength(500);
    // Blocks of 100 in turn, not 250 of the first before any of the second.
    const runs: Array<[string, number]> = [];
    for (const t of order)
      if (runs.length && runs[runs.length - 1]![0] === t) runs[runs.length - 1]![1]++;
      else runs.push([t, 1]);
    expect(runs).toEqual([
      ['first', 100],
      ['second', 100],
      ['first', 100],
      ['second', 100],
      ['first', 50],
      ['second', 50],
    ]);

    // A change to a record is queued without a priority: it is taken before every backfill.
    await loadUsers(api.app, tenantId, sourceId, 250, 251, () => ({ userName: 'amy' }));
    const changed = await eventuallyWaiting(queue);
    expect(changed.map((j) => j.data.targetId).sort()).toEqual([first, second].sort());
    expect(await queue.getPrioritizedCount()).toBe(500);
  });
});

/** The jobs waiting without a priority, once the outbox relay has fanned the change out. */
async function eventuallyWaiting(queue: ReturnType<JobQueue['queue']>) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const waiting = await queue.getJobs(['wait'], 0, -1, true);
    if (waiting.length >= 2 || Date.now() > deadline) return waiting;
    await new Promise((r) => setTimeout(r, 50));
  }
}
