import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import { HUB_CONFIG, type HubConfig } from '@hub/config';
import { Coalescer } from '../coalescer';

interface LockKey {
  targetId: string;
  resourceId: string;
}

/**
 * One push in flight per (target, resource), across every worker replica: a Postgres session
 * advisory lock held for the whole push step (ADR 0601). Postgres drops it with the session, so a
 * SIGKILLed worker never leaves a stale lock, and a Redis restart does not touch it.
 *
 * The process' locks live in one session of their own (ADR 0603): locks asked for at the same
 * moment are taken in one statement, and released likewise (`Coalescer`) — one round trip per
 * batch instead of two per push. A session's advisory locks are re-entrant, so the process keeps
 * the keys it holds and refuses a second holder itself. A lost session has lost its locks; the
 * next request opens a new one.
 */
@Injectable()
export class PushLockRepository implements OnApplicationShutdown {
  private readonly logger = new Logger('PushLock');
  private session: Promise<pg.Client> | undefined;
  private closed = false;
  /** Keys held (or being taken) in this process. */
  private readonly held = new Set<string>();
  private readonly locking = new Coalescer<LockKey, boolean>((keys) => this.lockAll(keys), {
    maxBatch: 500,
  });
  private readonly unlocking = new Coalescer<LockKey, boolean>((keys) => this.unlockAll(keys), {
    maxBatch: 500,
  });

  constructor(@Inject(HUB_CONFIG) private readonly config: HubConfig) {}

  /** Runs `fn` under the lock of (targetId, resourceId); `{ locked: false }` when another holds it. */
  async withLock<T>(
    targetId: string,
    resourceId: string,
    fn: () => Promise<T>,
  ): Promise<{ locked: true; value: T } | { locked: false }> {
    const key = `${targetId}|${resourceId}`;
    if (this.held.has(key)) return { locked: false };
    this.held.add(key);
    let locked = false;
    try {
      locked = await this.locking.run({ targetId, resourceId });
      if (!locked) return { locked: false };
      return { locked: true, value: await fn() };
    } finally {
      if (locked)
        await this.unlocking.run({ targetId, resourceId }).catch((error: Error) => {
          // The lock must not outlive its push: a session that cannot release it is ended (which
          // releases every lock it holds, as a crash would).
          this.logger.warn({ err: error.message }, 'push lock not released: ending the lock session');
          this.reset();
        });
      this.held.delete(key);
    }
  }

  /**
   * The locks of several resources of one target, taken in one statement (a push batch's, ADR
   * 0604): whether each was. Those taken are held until `unlockMany`.
   */
  async lockMany(targetId: string, resourceIds: readonly string[]): Promise<boolean[]> {
    const keys = resourceIds.map((resourceId) => `${targetId}|${resourceId}`);
    const fresh = keys.map((key) => !this.held.has(key) && (this.held.add(key), true));
    let locked: boolean[];
    try {
      // Called together, the coalescer takes them in one statement.
      locked = await Promise.all(
        resourceIds.map((resourceId, i) =>
          fresh[i] ? this.locking.run({ targetId, resourceId }) : Promise.resolve(false),
        ),
      );
    } catch (error) {
      keys.forEach((key, i) => fresh[i] && this.held.delete(key));
      throw error;
    }
    keys.forEach((key, i) => fresh[i] && !locked[i] && this.held.delete(key));
    return locked;
  }

  /** Hands back locks taken with `lockMany` (one statement). */
  async unlockMany(targetId: string, resourceIds: readonly string[]): Promise<void> {
    try {
      await Promise.all(resourceIds.map((resourceId) => this.unlocking.run({ targetId, resourceId })));
    } catch (error) {
      // As in `withLock`: a lock must not outlive its push.
      this.logger.warn({ err: (error as Error).message }, 'push locks not released: ending the lock session');
      this.reset();
    } finally {
      for (const resourceId of resourceIds) this.held.delete(`${targetId}|${resourceId}`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    this.reset();
  }

  private async lockAll(keys: readonly LockKey[]): Promise<boolean[]> {
    return this.each('SELECT pg_try_advisory_lock(hashtext(k.t), hashtext(k.r)) AS ok', keys);
  }

  private async unlockAll(keys: readonly LockKey[]): Promise<boolean[]> {
    return this.each('SELECT pg_advisory_unlock(hashtext(k.t), hashtext(k.r)) AS ok', keys);
  }

  /** `select` (over `k.t`, `k.r`) for every key, in the keys' order. */
  private async each(select: string, keys: readonly LockKey[]): Promise<boolean[]> {
    const client = await this.client();
    const res = await client.query<{ ok: boolean }>(
      `${select} FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k(t, r, i) ORDER BY k.i`,
      [keys.map((k) => k.targetId), keys.map((k) => k.resourceId)],
    );
    return res.rows.map((r) => r.ok === true);
  }

  private client(): Promise<pg.Client> {
    if (this.closed) return Promise.reject(new Error('the push lock session is closed'));
    if (!this.session) {
      const client = new pg.Client({ connectionString: this.config.database.url });
      client.on('error', (error) => {
        this.logger.warn({ err: error.message }, 'push lock session lost');
        if (this.session === opened) this.session = undefined;
      });
      const opened = client.connect().then(
        () => client,
        (error: unknown) => {
          if (this.session === opened) this.session = undefined;
          throw error;
        },
      );
      this.session = opened;
    }
    return this.session;
  }

  private reset(): void {
    const session = this.session;
    this.session = undefined;
    void session?.then((c) => c.end()).catch(() => undefined);
  }
}
