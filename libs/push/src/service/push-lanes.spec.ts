import type { TenantId } from '@hub/persistence';
import { PushLanes, type LaneOutcome } from './push-lanes.service';
import type { PushStepOptions, PushStepResult, PushStepService } from './push-step.service';
import type { TargetGate } from './target-gate.service';

/**
 * The lanes' scheduling (ADR 0604) against a stand-in step and gate: what they lend, lock and
 * hand back. The real step and gate are covered on Postgres and Redis by the push integration and
 * e2e tests, which now run through these lanes.
 */
const tenant = 't' as TenantId;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Fake {
  step: PushStepService;
  gate: TargetGate;
  stats: { inFlight: number; maxInFlight: number; runs: string[]; leaseCalls: number; unlocked: string[] };
}

function fakes(options: {
  stepMs?: number;
  busy?: Set<string>;
  result?: (id: string) => PushStepResult | undefined;
}): Fake {
  const slotsOf = new Map<string, Set<string>>();
  const slots = (targetId: string) =>
    slotsOf.get(targetId) ?? slotsOf.set(targetId, new Set()).get(targetId)!;
  const stats = {
    inFlight: 0,
    maxInFlight: 0,
    runs: [] as string[],
    leaseCalls: 0,
    unlocked: [] as string[],
  };
  const gate = {
    acquireMany: async (t: string, limit: number, holders: string[]) => {
      stats.leaseCalls += 1;
      const granted = holders.slice(0, Math.max(0, limit - slots(t).size));
      for (const h of granted) slots(t).add(h);
      return granted;
    },
    renewMany: async (t: string, holders: string[]) => holders.filter((h) => slots(t).has(h)),
    release: async (t: string, holder: string) => void slots(t).delete(holder),
    reserve: async () => ({ reserved: true, waitMs: 0 }),
  } as unknown as TargetGate;
  const step = {
    lockMany: async (_t: string, ids: string[]) => ids.map((id) => !options.busy?.has(id)),
    unlockMany: async (_t: string, ids: string[]) => void stats.unlocked.push(...ids),
    readMany: async (_tenant: TenantId, _t: string, ids: string[]) =>
      ids.map(() => ({ link: null, record: null })),
    run: async (_tenant: TenantId, _t: string, id: string, o: PushStepOptions): Promise<PushStepResult> => {
      stats.runs.push(id);
      const result = options.result?.(id);
      if (result) return result;
      await o.slot!.take([], 200, true);
      stats.inFlight += 1;
      stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
      await sleep(options.stepMs ?? 2);
      stats.inFlight -= 1;
      o.slot!.resetStreak = true;
      await o.slot!.release();
      return { kind: 'done', again: false };
    },
  } as unknown as PushStepService;
  return { step, gate, stats };
}

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('PushLanes', () => {
  it("lends no more of the target's slots at once than its concurrency, leased a few at a time", async () => {
    const f = fakes({ stepMs: 3 });
    const lanes = new PushLanes(f.step, f.gate);
    const target = { id: 'a', concurrency: 4, rateLimit: 100 };
    const outcomes = (
      await Promise.all([0, 1, 2].map((b) => lanes.run(tenant, target, ids(`b${b}-`, 20), 64)))
    ).flat();
    expect(outcomes).toHaveLength(60);
    expect(outcomes.every((o) => 'result' in o && o.result.kind === 'done')).toBe(true);
    expect(f.stats.maxInFlight).toBe(4);
    expect(f.stats.leaseCalls).toBeLessThan(10); // not one per push
    expect(f.stats.unlocked.sort()).toEqual(outcomes.map((o) => o.resourceId).sort());
    await lanes.onApplicationShutdown();
  });

  it('answers busy for a record another push holds, without running its step', async () => {
    const f = fakes({ busy: new Set(['x1']) });
    const lanes = new PushLanes(f.step, f.gate);
    const outcomes = await lanes.run(
      tenant,
      { id: 'a', concurrency: 2, rateLimit: 100 },
      ['x0', 'x1', 'x2'],
      64,
    );
    const busy = outcomes.find((o) => o.resourceId === 'x1') as Extract<LaneOutcome, { result: unknown }>;
    expect(busy.result.kind).toBe('busy');
    expect(f.stats.runs.sort()).toEqual(['x0', 'x2']);
    expect(f.stats.unlocked.sort()).toEqual(['x0', 'x2']); // only the locks it took
    await lanes.onApplicationShutdown();
  });

  it('hands back what is queued, and what comes next, while the target waits for its rate', async () => {
    const f = fakes({
      result: (id) => (id === 'w0' ? { kind: 'wait', delayMs: 800, reason: 'rate limit' } : undefined),
      stepMs: 20,
    });
    const lanes = new PushLanes(f.step, f.gate);
    const target = { id: 'a', concurrency: 1, rateLimit: 100 };
    const first = await lanes.run(tenant, target, ['w0', 'w1'], 64);
    expect(first.find((o) => o.resourceId === 'w0')).toEqual({ resourceId: 'w0', deferMs: 800 });
    const later = await lanes.run(tenant, target, ['n0', 'n1'], 64);
    for (const o of later) expect((o as { deferMs: number }).deferMs).toBeGreaterThan(500);
    expect(f.stats.runs).not.toContain('n0');
    await lanes.onApplicationShutdown();
  });

  it("hands a new batch back when more than two seconds of a slow target's work is ahead of it", async () => {
    const f = fakes({ stepMs: 20 }); // one slot: about 50 pushes a second
    const lanes = new PushLanes(f.step, f.gate);
    const target = { id: 'slow', concurrency: 1, rateLimit: 100 };
    const queued = [0, 1, 2, 3].map((b) => lanes.run(tenant, target, ids(`q${b}-`, 64), 64));
    await sleep(400); // the lanes measure the target's rate meanwhile
    const extra = await lanes.run(tenant, target, ids('extra-', 64), 64);
    // About five seconds of work is ahead: back at once, to come again later.
    expect(extra.every((o) => 'deferMs' in o && o.deferMs > 1_000)).toBe(true);
    expect(f.stats.runs.some((id) => id.startsWith('extra-'))).toBe(false);
    // A fast target in the same process is not held up by it.
    const fast = await lanes.run(tenant, { id: 'fast', concurrency: 4, rateLimit: 100 }, ids('f', 8), 64);
    expect(fast.every((o) => 'result' in o)).toBe(true);
    // The batches it took all drain.
    const drained = (await Promise.all(queued)).flat();
    expect(drained).toHaveLength(256);
    expect(drained.every((o) => 'result' in o && o.result.kind === 'done')).toBe(true);
    await lanes.onApplicationShutdown();
  }, 30_000);
});
