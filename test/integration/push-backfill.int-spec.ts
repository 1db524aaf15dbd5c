import { TargetRepository } from '../../libs/persistence/src';
import {
  PushService,
  STATISTICS_AFTER_LINKS,
  TargetGate,
  backfillDepth,
  backfillPriority,
  identityUsers,
} from '../../libs/push/src';
import { JobQueue, QueueName } from '../../libs/queue/src';
import { loadUsers } from '../harness/bulk-users';
import { startHub, type RunningHub } from '../harness/hub-fixture';
import { eventually } from '../harness/processes';
import { inboundScimSource } from '../harness/push-fixture';
import { startScimTestServer } from '../harness/scim-test-server';

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

  /**
   * A users-only target at 20 requests/s (a backfill keeps 200 queued). The default address is
   * never called: nothing consumes the push queue here.
   */
  const addTarget = async (name: string, baseUrl = 'http://127.0.0.1:9/scim/v2') =>
    (
      await hub.worker.get(TargetRepository).create(hub.tenantId, {
        name,
        baseUrl,
        auth: { kind: 'none' },
        resourceTypes: identityUsers(),
        rateLimit: 20,
        concurrency: 2,
      })
    ).id;

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

  it('queues a backfill two ticks at a time, takes turns between targets levelled at different times, and lets changes go first', async () => {
    const { api, worker, tenantId } = hub;
    const { sourceId } = await inboundScimSource(api, tenantId);
    // 250 users exist before any target does.
    await loadUsers(api.app, tenantId, sourceId, 0, 250, (i) => ({ userName: `crew${i}` }));
    await fannedOut(); // their changes found no target
    const push = worker.get(PushService);
    // At 20 requests/s two catch-up ticks are 120 jobs: 200 queued at most, not all 250.
    expect(backfillDepth(20)).toBe(200);
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
    expect(await push.closeGaps()).toBe(200);
    expect(await analysed()).toBeInstanceOf(Date);
    push.statisticsAfterLinks = STATISTICS_AFTER_LINKS;
    const second = await addTarget('second'); // levelled later, while the first's jobs wait
    expect(await push.closeGaps()).toBe(200); // the first is levelled already

    const queue = worker.get(JobQueue).queue(QueueName.Push);
    const jobs = await queue.getJobs(['prioritized'], 0, -1, true);
    const order = jobs.map((j) => (j.data.targetId === first ? 'first' : 'second'));
    expect(order).toHaveLength(400);
    // The second joined at the queue's head: at the same rate the two take turns job by job, not
    // 200 of the first before any of the second.
    expect(order).toEqual(Array.from({ length: 200 }, () => ['first', 'second']).flat());

    // A change to a record is queued without a priority: it is taken before every backfill.
    await loadUsers(api.app, tenantId, sourceId, 250, 251, () => ({ userName: 'amy' }));
    const changed = await eventuallyWaiting(queue);
    expect(changed.map((j) => j.data.targetId).sort()).toEqual([first, second].sort());
    expect(await queue.getPrioritizedCount()).toBe(400);
  });

  it("queues a slow target's backfill a little at a time, as its pushes are done", async () => {
    const { worker, env } = hub;
    const push = worker.get(PushService);
    const gate = worker.get(TargetGate);
    const queue = worker.get(JobQueue).queue(QueueName.Push);
    // 251 users exist; a target at 20 requests/s keeps at most backfillDepth(20) = 200 queued.
    const slow = await addTarget('slow');
    const queuedFor = async () =>
      (await queue.getJobs(['prioritized'], 0, -1, true)).filter((j) => j.data.targetId === slow);
    expect(await push.closeGaps()).toBe(200);
    const first = await queuedFor();
    expect(first).toHaveLength(200);
    const state = await gate.backfill(slow);
    // It joined at the queue's head: the level the other targets' first jobs wait at.
    const head = (await queue.getJobs(['prioritized'], 0, 0, true))[0]!.opts.priority;
    expect(state).toEqual({
      after: [...first.map((j) => j.data.resourceId)].sort()[199],
      queued: 200,
      base: head,
    });
    expect(Math.min(...first.map((j) => j.opts.priority!))).toBe(head);

    // Nothing pushed yet: the next catch-up adds nothing.
    await push.catchUp();
    expect(await queuedFor()).toHaveLength(200);
    expect(await gate.backfill(slow)).toEqual(state);

    // 100 of them pushed (their links clean): room for 100, and 51 remain — the backfill ends.
    const done = first.slice(0, 100).map((j) => j.data.resourceId);
    await env.prisma.rawQuery(
      `UPDATE target_links SET pushed_version = desired_version WHERE target_id = $1::uuid AND resource_id = ANY($2::uuid[])`,
      [slow, done],
    );
    for (const j of first.slice(0, 100)) await j.remove();
    await push.catchUp();
    const after = await queuedFor();
    expect(after).toHaveLength(151);
    // The rest at the levels after everything queued so far.
    const later = after.filter((j) => j.data.resourceId > state!.after);
    expect(later).toHaveLength(51);
    // They continue the backfill's places (positions 200 on), after every job queued before.
    const lastLevel = Math.max(...first.map((j) => j.opts.priority!));
    const laterLevels = later.map((j) => j.opts.priority!);
    expect(Math.min(...laterLevels)).toBeGreaterThan(lastLevel);
    expect(Math.min(...laterLevels)).toBe(backfillPriority(state!.base, 200, 20));
    expect(await gate.backfill(slow)).toBeNull();
  });

  it('starts a backfill over, paced, when its target resumes after quarantine', async () => {
    const { worker, tenantId } = hub;
    const push = worker.get(PushService);
    const gate = worker.get(TargetGate);
    const targets = worker.get(TargetRepository);
    const queue = worker.get(JobQueue).queue(QueueName.Push);
    const server = await startScimTestServer(); // answers the probe
    try {
      const flaky = await addTarget('flaky', server.baseUrl);
      const queuedFor = async () =>
        (await queue.getJobs(['prioritized', 'wait'], 0, -1, true)).filter((j) => j.data.targetId === flaky);
      expect(await push.closeGaps()).toBe(200);
      // Quarantined: its queued jobs end (a step for a quarantined target drops its job).
      expect(await targets.quarantine(tenantId, flaky, 'test outage', new Date(Date.now() - 1000))).toBe(
        true,
      );
      for (const j of await queuedFor()) await j.remove();

      // Resumed, it gets its backfill again from the first record, paced: two ticks' worth, not
      // all 251 at once — also after the next catch-up (the resume changed the target's row,
      // which levels it again and finds nothing new).
      expect(await push.probe(tenantId, flaky)).toBe(true);
      const again = await queuedFor();
      expect(again).toHaveLength(200);
      expect(again.every((j) => j.opts.priority !== undefined)).toBe(true);
      const state = await gate.backfill(flaky);
      expect(state).toMatchObject({ after: again.map((j) => j.data.resourceId).sort()[199], queued: 200 });
      await push.catchUp();
      expect(await queuedFor()).toHaveLength(200);
      expect(await gate.backfill(flaky)).toEqual(state);
    } finally {
      await server.close();
    }
  });
});

describe('Active Push catch-up', () => {
  let hub: RunningHub;
  beforeAll(async () => (hub = await startHub('events')));
  afterAll(() => hub?.close());

  it('runs one catch-up at a time: a run that outlasts its tick does not overlap the next', async () => {
    const push = hub.worker.get(PushService);
    const runs = await Promise.all([push.catchUp(), push.catchUp(), push.catchUp()]);
    expect(runs.map((r) => r.ran).sort()).toEqual([false, false, true]);
    // Released at the end: the next tick runs.
    expect((await push.catchUp()).ran).toBe(true);
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
