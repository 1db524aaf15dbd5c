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

  it('let a golden record be deleted without scanning contributions or memberships (its foreign-key actions use indexes)', async () => {
    const db = await createTestDatabase();
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    /** The id in the first row a statement returns (`INSERT … RETURNING id`). */
    const inserted = async (sql: string, params: unknown[] = []) =>
      (await client.query<{ id: string }>(sql, params)).rows[0]!.id;
    try {
      const tenant = await inserted(
        `INSERT INTO tenants (id, slug, name, updated_at) VALUES (gen_random_uuid(), 'fk', 'FK', now()) RETURNING id`,
      );
      const source = await inserted(
        `INSERT INTO sources (id, tenant_id, name, kind, config, updated_at)
         VALUES (gen_random_uuid(), $1, 'hr', 'rest', '{}', now()) RETURNING id`,
        [tenant],
      );
      // 5,000 users with a contribution each, all members of one group.
      await client.query(
        `INSERT INTO resources (id, tenant_id, resource_type, attributes, name_key, updated_at)
         SELECT gen_random_uuid(), $1, 'User', '{}', 'u' || g, now() FROM generate_series(1, 5000) g`,
        [tenant],
      );
      await client.query(
        `INSERT INTO contributions (id, tenant_id, source_id, resource_type, source_key, resource_id, attributes, hash, asserted_at, updated_at)
         SELECT gen_random_uuid(), $1, $2, 'User', r.id::text, r.id, '{}', '', now(), now() FROM resources r WHERE r.tenant_id = $1`,
        [tenant, source],
      );
      const group = await inserted(
        `INSERT INTO resources (id, tenant_id, resource_type, attributes, name_key, updated_at)
         VALUES (gen_random_uuid(), $1, 'Group', '{"members":[]}', 'g', now()) RETURNING id`,
        [tenant],
      );
      await client.query(
        `INSERT INTO group_members (tenant_id, group_id, member_id, member_type)
         SELECT $1, $2, id, 'User' FROM resources WHERE tenant_id = $1 AND resource_type = 'User'`,
        [tenant, group],
      );
      await client.query('ANALYZE resources, contributions, group_members');
      const user = await inserted(`SELECT id FROM resources WHERE name_key = 'u42'`);
      // The lookups PostgreSQL's ON DELETE SET NULL / CASCADE triggers make: by the id alone.
      const plan = async (sql: string) =>
        (await client.query(`EXPLAIN ${sql}`, [user])).rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(await plan('SELECT 1 FROM ONLY contributions WHERE $1::uuid = resource_id')).toMatch(
        /Index (Only )?Scan using contributions_resource_id_idx/,
      );
      expect(await plan('SELECT 1 FROM ONLY group_members WHERE $1::uuid = member_id')).toMatch(
        /Index (Only )?Scan using group_members_member_id_idx/,
      );
      await client.query('DELETE FROM resources WHERE id = $1', [user]);
      const left = await client.query(
        `SELECT (SELECT count(*) FROM contributions WHERE source_key = $1)::int AS kept,
                (SELECT count(*) FROM contributions WHERE source_key = $1 AND resource_id IS NULL)::int AS unlinked,
                (SELECT count(*) FROM group_members WHERE member_id = $1::uuid)::int AS memberships`,
        [user],
      );
      expect(left.rows[0]).toEqual({ kept: 1, unlinked: 1, memberships: 0 });
    } finally {
      await client.end();
      await db.drop();
    }
  });
});
