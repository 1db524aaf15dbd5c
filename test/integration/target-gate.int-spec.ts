import { randomUUID } from 'node:crypto';
import { TargetGate, effectiveRate } from '../../libs/push/src';
import { createTestEnv, type TestEnv } from '../harness/hub-fixture';

/**
 * The per-target gate (ADR 0602, 0603) on real Redis: two gates stand for two worker replicas.
 * A push takes its slot with its first rate token in one round trip; a refusal takes neither,
 * and the release of a successful push ends the target's failure streak in the same call.
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

  it('takes a slot with a token, and nothing at all when the token is too far off', async () => {
    const target = randomUUID();
    const rate = 10;
    const intervalMs = 1000 / effectiveRate(rate); // 125 ms
    expect(await a.acquireWithToken(target, 2, 'push-1', rate, 5_000)).toMatchObject({
      slot: true,
      reserved: true,
      waitMs: 0,
    });
    // The second replica's token is one interval after the first.
    const second = await b.acquireWithToken(target, 2, 'push-2', rate, 5_000);
    expect(second).toMatchObject({ slot: true, reserved: true });
    expect(second.waitMs).toBeGreaterThan(intervalMs - 50);
    expect(second.waitMs).toBeLessThanOrEqual(intervalMs);
    // Both slots are taken now.
    expect(await a.acquireWithToken(target, 2, 'push-3', rate, 5_000)).toMatchObject({ slot: false });
    await a.release(target, 'push-1');
    // A caller that may wait only briefly finds its token two intervals off: no slot, no token.
    const far = await a.acquireWithToken(target, 2, 'push-3', rate, 50);
    expect(far).toMatchObject({ slot: false, reserved: false });
    expect(far.waitMs).toBeGreaterThan(2 * intervalMs - 50);
    // Nothing was taken by that refusal: the slot is free, the next token where it was.
    const after = await b.acquireWithToken(target, 2, 'push-4', rate, 5_000);
    expect(after).toMatchObject({ slot: true, reserved: true });
    expect(after.waitMs).toBeLessThanOrEqual(2 * intervalMs);
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

  it("leases a batch's slots at once, as many as are free, and renews only those still held", async () => {
    const target = randomUUID();
    expect(await a.acquire(target, 4, 'single')).toBe(true);
    // Three of four are free: the first three holders get them, the fourth none.
    expect(await a.acquireMany(target, 4, ['l1', 'l2', 'l3', 'l4'])).toEqual(['l1', 'l2', 'l3']);
    expect(await b.acquireMany(target, 4, ['m1'])).toEqual([]);
    expect(await b.acquire(target, 4, 'other')).toBe(false);
    await a.release(target, 'l2');
    expect(await a.renewMany(target, ['l1', 'l2', 'l3'])).toEqual(['l1', 'l3']);
    expect(await b.acquireMany(target, 4, ['m1', 'm2'])).toEqual(['m1']);
  });

  it('reserves a block of tokens as one, spaced at the rate from the first', async () => {
    const target = randomUUID();
    const rate = 10;
    const block = await a.reserveMany(target, rate, 4, 5_000);
    expect(block).toMatchObject({ reserved: true, waitMs: 0 });
    expect(block.intervalMs).toBeCloseTo(1000 / effectiveRate(rate), 0);
    // The next token, from another replica, comes after all four.
    const next = await b.reserve(target, rate, 5_000);
    expect(next.reserved).toBe(true);
    expect(next.waitMs).toBeGreaterThan(4 * block.intervalMs - 50);
    expect(next.waitMs).toBeLessThanOrEqual(4 * block.intervalMs);
    // A block whose first token is further off than the caller waits takes nothing.
    const far = await a.reserveMany(target, rate, 4, 50);
    expect(far.reserved).toBe(false);
    const after = await b.reserve(target, rate, 5_000);
    expect(after.waitMs).toBeLessThanOrEqual(5 * block.intervalMs);
  });
});
