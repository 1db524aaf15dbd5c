import { randomUUID } from 'node:crypto';
import { PushStepStore, TargetLinkRepository, asTenantId, type TenantId } from '../../libs/persistence/src';
import { createTestEnv, type TestEnv } from '../harness/hub-fixture';

/**
 * The push step's link bookkeeping on real Postgres (ADR 0602, 0603): fan-outs made at once share
 * a statement, a mark made while a push runs survives that push's record, and the step's read
 * sees link and record together.
 */
describe('push link bookkeeping', () => {
  let env: TestEnv;
  let links: TargetLinkRepository;
  let store: PushStepStore;
  let tenantId: TenantId;
  let targetId: string;

  beforeAll(async () => {
    env = await createTestEnv();
    links = new TargetLinkRepository(env.prisma);
    store = new PushStepStore(env.prisma);
    tenantId = asTenantId((await env.createTenant()).tenant.id);
    targetId = randomUUID();
    await env.prisma.rawQuery(
      `INSERT INTO targets (id, tenant_id, name, base_url, updated_at) VALUES ($1, $2, 'apps', 'http://127.0.0.1:1', now())`,
      [targetId, tenantId],
    );
  });

  afterAll(async () => {
    await env?.close();
  });

  const resource = async (version: number) => {
    const id = randomUUID();
    await env.prisma.rawQuery(
      `INSERT INTO resources (id, tenant_id, resource_type, attributes, version, updated_at)
       VALUES ($1, $2, 'User', '{"userName":"x"}', $3, now())`,
      [id, tenantId, version],
    );
    return id;
  };
  const outcome = (pushedVersion: number, pushedVersionRead: number | null) => ({
    remoteId: 'r-1',
    pushedState: { userName: 'x' },
    pushedHash: 'h',
    pushedStamp: null,
    pushedVersion,
    pushedVersionRead,
    status: 'synced' as const,
  });

  it('takes concurrent fan-outs of one record in one statement, at the highest version', async () => {
    const id = await resource(3);
    await Promise.all([
      links.bumpDesired(tenantId, [targetId], id, 'User', 1),
      links.bumpDesired(tenantId, [targetId], id, 'User', 3),
      links.bumpDesired(tenantId, [targetId], id, 'User', 2),
    ]);
    const link = await links.get(tenantId, targetId, id);
    expect(link).toMatchObject({ desiredVersion: 3, pushedVersion: null, status: 'pending' });
  });

  it('reads link and record together, and records outcome, log entries and whether to go again', async () => {
    const id = await resource(2);
    const none = await store.read(tenantId, targetId, id);
    expect(none.link).toBeNull();
    expect(none.record).toMatchObject({ id, version: 2, lifecycleState: 'active' });
    await links.bumpDesired(tenantId, [targetId], id, 'User', 2);
    const { link } = await store.read(tenantId, targetId, id);
    expect(link).toMatchObject({ desiredVersion: 2, pushedVersion: null });

    const entry = {
      tenantId,
      targetId,
      resourceId: id,
      resourceType: 'User',
      action: 'create' as const,
      outcome: 'ok',
      status: 201,
    };
    expect(await store.record(tenantId, targetId, id, outcome(2, link!.pushedVersion), [entry])).toBe(false);
    expect(await links.get(tenantId, targetId, id)).toMatchObject({ pushedVersion: 2, remoteId: 'r-1' });
    const logged = await env.prisma.rawQuery('SELECT action, status FROM push_log WHERE resource_id = $1', [
      id,
    ]);
    expect(logged).toEqual([{ action: 'create', status: 201 }]);

    // A newer version arrived meanwhile: the record says go again.
    await links.bumpDesired(tenantId, [targetId], id, 'User', 3);
    expect(await store.record(tenantId, targetId, id, outcome(2, 2), [])).toBe(true);
  });

  it('keeps a mark made while a push runs, and the next push clears it', async () => {
    const id = await resource(1);
    await links.bumpDesired(tenantId, [targetId], id, 'User', 1);
    await store.record(tenantId, targetId, id, outcome(1, null), []);
    // A push reads the clean link; a member's hand-off marks it; the push records what it read.
    const { link } = await store.read(tenantId, targetId, id);
    expect(link).toMatchObject({ pushedVersion: 1, desiredVersion: 1 });
    await links.markDirty(tenantId, targetId, [id]);
    expect(await store.record(tenantId, targetId, id, outcome(1, link!.pushedVersion), [])).toBe(true);
    expect(await links.wantsPush(tenantId, targetId, id)).toBe(true);
    // The record's next version (a deletion, say) is still wanted, above the mark.
    await links.bumpDesired(tenantId, [targetId], id, 'User', 2);
    const again = await store.read(tenantId, targetId, id);
    expect(again.link!.desiredVersion).toBe(2);
    expect(await store.record(tenantId, targetId, id, outcome(2, again.link!.pushedVersion), [])).toBe(false);
    expect(await links.get(tenantId, targetId, id)).toMatchObject({ pushedVersion: 2, desiredVersion: 2 });
  });
  it('records a batch through indexes, however few rows the planner expects the links table to hold', async () => {
    // Thousands of links, analysed: the size at which a join costed at jsonb_to_recordset's fixed
    // 100 rows chose to hash a sequential scan of every link for each batch of a few (ADR 0603).
    const other = randomUUID();
    await env.prisma.rawQuery(
      `INSERT INTO targets (id, tenant_id, name, base_url, updated_at) VALUES ($1, $2, 'many', 'http://127.0.0.1:1', now())`,
      [other, tenantId],
    );
    await env.prisma.rawQuery(
      `INSERT INTO target_links (id, tenant_id, target_id, resource_id, resource_type, desired_version, status, updated_at)
       SELECT gen_random_uuid(), $1, $2, gen_random_uuid(), 'User', 1, 'pending', now() FROM generate_series(1, 3000)`,
      [tenantId, other],
    );
    await env.prisma.rawQuery('ANALYZE target_links', []);
    const id = await resource(1);
    await links.bumpDesired(tenantId, [other], id, 'User', 1);
    const sql = jest.spyOn(env.prisma, 'rawQuery');
    await store.record(tenantId, other, id, outcome(1, null), []);
    const recordSql = sql.mock.calls.find((c) => c[2] === 'push_step_record')![0];
    sql.mockRestore();

    // The plan a named statement settles on after its first executions: the generic one.
    const plan = await env.prisma.sqlTransaction(async (tx) => {
      await tx.$executeRawUnsafe('SET LOCAL plan_cache_mode = force_generic_plan');
      await tx.$executeRawUnsafe(`PREPARE push_record_plan(jsonb, jsonb) AS ${recordSql}`);
      try {
        const rows = await tx.$queryRawUnsafe<{ 'QUERY PLAN': string }[]>(
          `EXPLAIN EXECUTE push_record_plan('[]', '[]')`,
        );
        return rows.map((r) => r['QUERY PLAN']).join('\n');
      } finally {
        await tx.$executeRawUnsafe('DEALLOCATE push_record_plan');
      }
    });
    expect(plan).toMatch(/Index Scan using target_links_target_id_resource_id_key/);
    expect(plan).not.toMatch(/Seq Scan on target_links/);
  });
});
