import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import { HUB_CONFIG, type HubConfig } from '@hub/config';

/**
 * One push in flight per (target, resource), across every worker replica: a Postgres session
 * advisory lock held on a dedicated connection for the whole push step (ADR 0601). Postgres drops
 * it with the session, so a SIGKILLed worker never leaves a stale lock, and a Redis restart does
 * not touch it. Its own small pool: a step holds a connection while it talks to the target, which
 * must not starve the main pool.
 */
@Injectable()
export class PushLockRepository implements OnApplicationShutdown {
  private readonly pool: pg.Pool;

  constructor(@Inject(HUB_CONFIG) config: HubConfig) {
    this.pool = new pg.Pool({
      connectionString: config.database.url,
      max: Math.max(2, config.worker.concurrency + 2),
      idleTimeoutMillis: 30_000,
    });
    const logger = new Logger('PushLock');
    this.pool.on('error', (error) => logger.warn({ err: error.message }, 'idle lock connection lost'));
  }

  /** Runs `fn` under the lock of (targetId, resourceId); `{ locked: false }` when another holds it. */
  async withLock<T>(
    targetId: string,
    resourceId: string,
    fn: () => Promise<T>,
  ): Promise<{ locked: true; value: T } | { locked: false }> {
    const client = await this.pool.connect();
    let locked = false;
    try {
      const res = await client.query<{ ok: boolean }>(
        'SELECT pg_try_advisory_lock(hashtext($1), hashtext($2)) AS ok',
        [targetId, resourceId],
      );
      locked = res.rows[0]?.ok === true;
      if (!locked) return { locked: false };
      return { locked: true, value: await fn() };
    } finally {
      if (locked)
        await client
          .query('SELECT pg_advisory_unlock(hashtext($1), hashtext($2))', [targetId, resourceId])
          .then(
            () => client.release(),
            (e: Error) => client.release(e),
          );
      else client.release();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }
}
