import { randomUUID } from 'node:crypto';
import { TargetGate, effectiveRate } from '../../libs/push/src';
import { createTestEnv, type TestEnv } from '../harness/hub-fixture';

/**
 * The per-target gate (ADR 0602, 0603) on real Redis: two gates stand for two worker replicas.
 * A push takes its slot with the rate tokens its plan will spend, in one round trip; the tokens
 * must space later requests exactly as tokens taken one at a time would.
 */
describe('target gate', () => {
  let env: TestEnv;
  let a: TargetGate;
  let b: TargetGate;

  beforeAll(async () => {
    env = await createTestEnv();
    a = new TargetGate(env.config);
    b = new TargetGate(env.config);
  });

  afterAll(async () => {
    await a?.onApplicationShutdown();
    await b?.onApplicationShutdown();
    await env?.close();
  });

  it('takes a slot with several tokens: the next caller waits for all of them, not just one', async () => {
    const target = randomUUID();
    const rate = 10; // an interval of 1/effectiveRate(10) s, about 125 ms
    const intervalMs = 1000 / effectiveRate(rate);
    const first = await a.acquireWithToken(target, 2, 'push-1', rate, 5_000, 3);
    expect(first).toMatchObject({ slot: true, reserved: true, waitMs: 0 });
    expect(first.intervalMs).toBeCloseTo(intervalMs, 0);
    // Another replica's request comes after the three tokens: three intervals on, give or take the
    // milliseconds between the two calls.
    const next = await b.reserve(target, rate, 5_000);
    expect(next.reserved).toBe(true);
    expect(next.waitMs).toBeGreaterThan(3 * intervalMs - 50);
    expect(next.waitMs).toBeLessThanOrEqual(3 * intervalMs);
  });

  it('takes nothing when the first token is too far off, and one token by default', async () => {
    const target = randomUUID();
    const rate = 10;
    const intervalMs = 1000 / effectiveRate(rate);
    expect(await a.acquireWithToken(target, 2, 'push-1', rate, 5_000)).toMatchObject({ slot: true });
    // One token was taken: the second caller's is one interval away, within its wait.
    const second = await b.acquireWithToken(target, 2, 'push-2', rate, 5_000, 4);
    expect(second).toMatchObject({ slot: true, reserved: true });
    expect(second.waitMs).toBeGreaterThan(intervalMs - 50);
    // Both slots are taken now; once one is released, a caller that may wait only briefly finds
    // the first token more than four intervals off, and neither the slot nor a token is taken.
    expect(await a.acquireWithToken(target, 2, 'push-3', rate, 5_000)).toMatchObject({ slot: false });
    await a.release(target, 'push-1');
    const far = await a.acquireWithToken(target, 2, 'push-3', rate, 100, 2);
    expect(far).toMatchObject({ slot: false, reserved: false });
    expect(far.waitMs).toBeGreaterThan(4 * intervalMs - 50);
    // Nothing was taken by that refusal: the slot is still free, the next token where it was.
    const after = await b.acquireWithToken(target, 2, 'push-4', rate, 5_000);
    expect(after).toMatchObject({ slot: true, reserved: true });
    expect(after.waitMs).toBeLessThanOrEqual(5 * intervalMs);
    expect(after.waitMs).toBeGreaterThan(far.waitMs - 50);
  });

  it('releases a slot and ends the failure streak in one call', async () => {
    const target = randomUUID();
    expect(await a.failureStreak(target, true)).toBe(1);
    expect(await a.failureStreak(target, true)).toBe(2);
    expect(await a.acquire(target, 1, 'push-1')).toBe(true);
    expect(await b.acquire(target, 1, 'push-2')).toBe(false);
    await a.release(target, 'push-1', false);
    expect(await a.failureStreak(target, true)).toBe(3); // kept without resetStreak
    expect(await b.acquire(target, 1, 'push-2')).toBe(true);
    await b.release(target, 'push-2', true);
    expect(await a.failureStreak(target, true)).toBe(1); // ended with the release
    expect(await a.acquire(target, 1, 'push-3')).toBe(true);
  });
});
