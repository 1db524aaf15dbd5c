import { json } from '../harness/json';
import pg from 'pg';
import { startRedisServer } from '../../libs/embedded/src';
import { applyMigrations, findMigrationsDir, listMigrations } from '../../libs/persistence/src';
import { createTestDatabase } from '../harness/database';
import { createTestEnv, startApi } from '../harness/hub-fixture';

describe('readiness', () => {
  it('reports Redis down as 503 naming the failed check, and recovers', async () => {
    const redis = await startRedisServer();
    const env = await createTestEnv({ REDIS_URL: redis.url });
    const api = await startApi(env.config);
    try {
      const up = await fetch(`${api.baseUrl}/health/ready`);
      expect(up.status).toBe(200);
      expect((await json(up)).checks).toMatchObject({ postgres: { ok: true }, redis: { ok: true } });

      await redis.stop();
      const down = await fetch(`${api.baseUrl}/health/ready`);
      expect(down.status).toBe(503);
      const body = await json(down);
      expect(body).toMatchObject({
        status: 'unavailable',
        checks: { postgres: { ok: true }, redis: { ok: false } },
      });
      expect(body.checks.redis.error).toEqual(expect.any(String));
      // Liveness does not depend on dependencies: restarting the process would not help.
      expect((await fetch(`${api.baseUrl}/health/live`)).status).toBe(200);
    } finally {
      await api.close().catch(() => undefined);
      await env.close();
      await redis.stop();
    }
  });
});

describe('migrations', () => {
  it('apply to an empty database, record Prisma-compatible checksums, and are a no-op the second time', async () => {
    const db = await createTestDatabase();
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
      const first = await applyMigrations(db.url);
      const files = listMigrations(findMigrationsDir());
      expect(first.applied).toEqual(files.map((f) => f.name));
      const second = await applyMigrations(db.url);
      expect(second).toEqual({ applied: [], alreadyApplied: files.length });
      const { rows } = await client.query(
        'SELECT migration_name, checksum, finished_at FROM _prisma_migrations ORDER BY migration_name',
      );
      expect(rows.map((r) => [r.migration_name, r.checksum])).toEqual(files.map((f) => [f.name, f.checksum]));
      const tables = await client.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`,
      );
      expect(tables.rows.map((r) => r.table_name)).toEqual(
        expect.arrayContaining([
          'tenants',
          'api_clients',
          'sources',
          'resources',
          'contributions',
          'outbox',
          'audit_events',
        ]),
      );
    } finally {
      await client.end();
      await db.drop();
    }
  });

  it('refuses to run when an applied migration file was edited', async () => {
    const db = await createTestDatabase();
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query(`UPDATE _prisma_migrations SET checksum = repeat('0', 64)`);
      await expect(applyMigrations(db.url)).rejects.toThrow(/was changed after it was applied/);
    } finally {
      await client.end();
      await db.drop();
    }
  });
});
