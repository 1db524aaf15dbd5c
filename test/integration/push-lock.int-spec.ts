import { randomUUID } from 'node:crypto';
import { PushLockRepository } from '../../libs/persistence/src';
import { createTestEnv, type TestEnv } from '../harness/hub-fixture';
import { eventually } from '../harness/processes';

/**
 * The per-object push lock (ADR 0601, 0603) on real Postgres: two repositories stand for two
 * worker replicas. Locks asked for together share one statement and one session, which must not
 * weaken the guarantee: one holder per (target, resource), across replicas and within one.
 */
describe('push lock', () => {
  let env: TestEnv;
  let a: PushLockRepository;
  let b: PushLockRepository;
  const target = randomUUID();

  beforeAll(async () => {
    env = await createTestEnv();
    a = new PushLockRepository(env.config);
    b = new PushLockRepository(env.config);
  });

  afterAll(async () => {
    await a?.onApplicationShutdown();
    await b?.onApplicationShutdown();
    await env?.close();
  });

  /** A holder that keeps its lock until `release()`. */
  const hold = (repo: PushLockRepository, resource: string) => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const result = repo.withLock(target, resource, async () => {
      entered();
      await released;
      return resource;
    });
    return { result, inside, release };
  };

  it('lets one holder in per object, in another replica and in the same one, until it is done', async () => {
    const resource = randomUUID();
    const first = hold(a, resource);
    await first.inside;
    expect(await b.withLock(target, resource, async () => 'b')).toEqual({ locked: false });
    expect(await a.withLock(target, resource, async () => 'a again')).toEqual({ locked: false });
    first.release();
    expect(await first.result).toEqual({ locked: true, value: resource });
    expect(await b.withLock(target, resource, async () => 'b')).toEqual({ locked: true, value: 'b' });
  });

  it('takes many locks at once for different objects, and frees them when a holder throws', async () => {
    const resources = Array.from({ length: 120 }, () => randomUUID());
    const holders = resources.map((r) => hold(a, r));
    await Promise.all(holders.map((h) => h.inside));
    // Every one is held against the other replica.
    const other = await Promise.all(resources.map((r) => b.withLock(target, r, async () => 'b')));
    expect(other.every((o) => !o.locked)).toBe(true);
    for (const h of holders) h.release();
    await Promise.all(holders.map((h) => h.result));

    const failing = resources[0]!;
    await expect(
      a.withLock(target, failing, async () => {
        throw new Error('target answered 500');
      }),
    ).rejects.toThrow('target answered 500');
    expect(await b.withLock(target, failing, async () => 'b')).toEqual({ locked: true, value: 'b' });
  });

  it("takes a batch's locks together, refuses those held elsewhere, and hands them back together", async () => {
    const resources = Array.from({ length: 64 }, () => randomUUID());
    const heldByB = hold(b, resources[5]!);
    const heldByA = hold(a, resources[9]!);
    await Promise.all([heldByB.inside, heldByA.inside]);
    const locked = await a.lockMany(target, resources);
    // Held by the other replica, or by another push of this one: not this batch's.
    expect(locked.filter((l) => !l)).toHaveLength(2);
    expect(locked[5]).toBe(false);
    expect(locked[9]).toBe(false);
    const mine = resources.filter((_, i) => locked[i]);
    expect(await b.withLock(target, mine[0]!, async () => 'b')).toEqual({ locked: false });
    expect(await a.withLock(target, mine[1]!, async () => 'a')).toEqual({ locked: false });
    await a.unlockMany(target, mine);
    expect(await b.withLock(target, mine[0]!, async () => 'b')).toEqual({ locked: true, value: 'b' });
    expect(await a.withLock(target, mine[1]!, async () => 'a')).toEqual({ locked: true, value: 'a' });
    heldByB.release();
    heldByA.release();
    await Promise.all([heldByB.result, heldByA.result]);
    // The refused ones were never this batch's: releasing the batch left their holders alone,
    // and they are free now that those are done.
    expect(await a.lockMany(target, [resources[5]!, resources[9]!])).toEqual([true, true]);
    await a.unlockMany(target, [resources[5]!, resources[9]!]);
  });

  it("is the lock reconciliation's remediation takes (the same key, as a transaction lock)", async () => {
    const resource = randomUUID();
    const holder = hold(a, resource);
    await holder.inside;
    const tryXact = () =>
      env.prisma.rawQuery<{ ok: boolean }>(
        'SELECT pg_try_advisory_xact_lock(hashtext($1::text), hashtext($2::uuid::text)) AS ok',
        [target, resource],
      );
    expect((await tryXact())[0]!.ok).toBe(false);
    holder.release();
    await holder.result;
    expect((await tryXact())[0]!.ok).toBe(true);
  });

  it('opens a new session after losing its own, whose locks Postgres has released', async () => {
    const resource = randomUUID();
    const holder = hold(a, resource);
    await holder.inside;
    // The session ends under the holder (a failover, an admin's pg_terminate_backend).
    await env.prisma.rawQuery(
      `SELECT pg_terminate_backend(pid) FROM pg_locks
       WHERE locktype = 'advisory' AND objid = hashtext($1)::oid AND pid <> pg_backend_pid()`,
      [resource],
    );
    // pg_terminate_backend only signals the backend: its locks go when it has exited.
    await eventually(
      async () => {
        const [row] = await env.prisma.rawQuery<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND objid = hashtext($1)::oid`,
          [resource],
        );
        return row?.n === 0 ? true : undefined;
      },
      10_000,
      'the terminated session to release its lock',
    );
    // Released by Postgres: the other replica may take it (what a crash would allow too).
    await expect(b.withLock(target, resource, async () => 'b')).resolves.toEqual({
      locked: true,
      value: 'b',
    });
    holder.release();
    expect(await holder.result).toEqual({ locked: true, value: resource });
    // This replica goes on with a new session.
    expect(await a.withLock(target, randomUUID(), async () => 'a')).toEqual({ locked: true, value: 'a' });
    expect(await a.withLock(target, resource, async () => 'a')).toEqual({ locked: true, value: 'a' });
  });
});
