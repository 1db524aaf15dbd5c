import { asTenantId } from '../../libs/persistence/src';
import { createTestEnv, type TestEnv } from '../harness/hub-fixture';

describe('audit trail', () => {
  let env: TestEnv;
  beforeAll(async () => (env = await createTestEnv()));
  afterAll(async () => env.close());

  it('chains concurrent appends per tenant and detects a tampered row', async () => {
    const { tenant } = await env.createTenant('audited');
    const tenantId = asTenantId(tenant.id);
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        env.repos.audit.append(tenantId, { actorType: 'system', action: 'test.event', detail: { i } }),
      ),
    );
    expect(await env.repos.audit.verifyChain(tenantId)).toBeNull();
    const rows = await env.repos.audit.list(tenantId, { limit: 1000 });
    expect(rows).toHaveLength(41); // the bootstrap admin client + 40

    const victim = rows[20]!;
    await env.prisma.$executeRawUnsafe(
      `UPDATE audit_events SET detail = '{"i":999}' WHERE seq = ${victim.seq}`,
    );
    expect(await env.repos.audit.verifyChain(tenantId)).toBe(victim.seq);
  });

  it('keeps each tenant to its own rows', async () => {
    const a = await env.createTenant('tenant-a');
    const b = await env.createTenant('tenant-b');
    const rowsA = await env.repos.audit.list(a.tenant.id, { limit: 100 });
    const rowsB = await env.repos.audit.list(b.tenant.id, { limit: 100 });
    expect(rowsA.map((r) => r.resourceId)).toEqual([a.adminClientId]);
    expect(rowsB.map((r) => r.resourceId)).toEqual([b.adminClientId]);
  });
});
