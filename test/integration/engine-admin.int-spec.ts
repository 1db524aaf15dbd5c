import { ENTERPRISE_USER_URN } from '@hub/scim';
import { EngineInboundWriter, RecomputeService } from '../../libs/aggregation/src';
import { SourceRepository, asTenantId, type TenantId, type WriteContext } from '../../libs/persistence/src';
import { json } from '../harness/json';
import { createTestEnv, startApi, type RunningApi, type TestEnv } from '../harness/hub-fixture';

const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User';

/** The engine's admin API on the real API app: rules (400 naming each issue), preview, recompute, explanation, cases. */
describe('engine admin API', () => {
  let env: TestEnv;
  let api: RunningApi;
  let token: string;
  let tenantId: TenantId;
  let hr: string;
  let ldap: string;

  beforeAll(async () => {
    env = await createTestEnv();
    api = await startApi(env.config);
    const t = await env.createTenant('acme');
    token = t.adminToken;
    tenantId = asTenantId(t.tenant.id);
    const sources = api.app.get(SourceRepository);
    const make = async (name: string, create: boolean) =>
      (
        await sources.create(tenantId, {
          name,
          kind: 'scim_inbound',
          roles: { '*': { create, update: true } },
          config: {},
          enabled: true,
        })
      ).id;
    hr = await make('HR', true);
    ldap = await make('LDAP', false);
  });
  afterAll(async () => {
    await api?.close();
    await env?.close();
  });

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${api.baseUrl}/admin/v1/engine${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await json(res) };
  };
  const ctx = (sourceId: string): WriteContext => ({
    tenantId,
    sourceId,
    actor: { type: 'api_client', id: 'test' },
    channel: 'test',
  });
  const write = (sourceId: string, attributes: Record<string, unknown>) =>
    api.app.get(EngineInboundWriter).create(ctx(sourceId), {
      resourceType: 'User',
      view: { attributes: { schemas: [CORE], ...attributes }, externalId: null },
      nameKey: typeof attributes.userName === 'string' ? attributes.userName.toLowerCase() : null,
    });

  it('a tenant that configured nothing gets the defaults', async () => {
    const { status, body } = await call('GET', '/rules/User');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      resourceType: 'User',
      authority: { rules: [], defaultRule: { policy: 'newest', sources: ['*'] } },
      correlation: [{ kind: 'link' }],
      lifecycle: null,
      revision: 0,
    });
    expect((await call('GET', '/rules/Nope')).status).toBe(404);
  });

  it('rules naming an unknown path or source are a 400 that says exactly where', async () => {
    const { status, body } = await call('PUT', '/rules/User', {
      authority: {
        rules: [
          { path: 'title', policy: 'priority', sources: [hr] },
          { path: 'nosuchAttribute', policy: 'priority', sources: [hr] },
          { path: 'displayName', policy: 'priority', sources: ['00000000-0000-4000-8000-000000000000'] },
        ],
        defaultRule: { policy: 'priority', sources: [hr, ldap] },
      },
      correlation: [{ kind: 'attribute', path: 'emails[type eq "work"]' }],
      lifecycle: { authorities: [hr], graceMs: -5 },
    });
    expect(status).toBe(400);
    expect(body.error.code).toBe('invalid_rules');
    const details: string[] = body.error.details;
    expect(
      details.some((d) => d.startsWith('authority.rules[1].path:') && d.includes('nosuchAttribute')),
    ).toBe(true);
    expect(details.some((d) => d.startsWith('authority.rules[2].sources[0]:'))).toBe(true);
    expect(details.some((d) => d.startsWith('correlation[0].path:'))).toBe(true);
    expect(details).toContain('lifecycle.graceMs: must be a non-negative integer (milliseconds)');
    // Nothing was stored.
    expect((await call('GET', '/rules/User')).body.revision).toBe(0);
    // Shape errors are caught by the DTO.
    expect((await call('PUT', '/rules/User', { authority: 'x' })).status).toBe(400);
  });

  it('preview says what a rule change would do without writing; saving recomputes in the background with progress', async () => {
    const fry = await write(hr, {
      userName: 'fry',
      title: 'Delivery Boy',
      [ENTERPRISE_USER_URN]: { employeeNumber: '3000' },
    });
    await api.app.get(EngineInboundWriter).update(ctx(ldap), {
      resourceType: 'User',
      id: fry.id,
      kind: 'patch',
      change: (c) => ({
        view: { attributes: { ...c.attributes, title: 'Intern' }, externalId: null },
        nameKey: null,
      }),
    });
    // Default rule (newest): LDAP wrote last.
    const before = await env.prisma.$queryRawUnsafe<
      Array<{ attributes: { title: string }; version: number }>
    >(`SELECT attributes, version FROM resources WHERE id = $1::uuid`, fry.id);
    expect(before[0]!.attributes.title).toBe('Intern');
    const rules = {
      authority: {
        rules: [{ path: 'title', policy: 'priority', sources: [hr, ldap] }],
        defaultRule: { policy: 'newest', sources: ['*'] },
      },
      correlation: [
        { kind: 'link' },
        { kind: 'attribute', path: `${ENTERPRISE_USER_URN}:employeeNumber`, normalise: [] },
      ],
    };
    const preview = await call('POST', '/rules/User/preview', rules);
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({
      total: 1,
      changed: 1,
      paths: [
        { path: 'title', count: 1, samples: [{ id: fry.id, before: 'Intern', after: 'Delivery Boy' }] },
      ],
    });
    const still = await env.prisma.$queryRawUnsafe<Array<{ version: number }>>(
      `SELECT version FROM resources WHERE id = $1::uuid`,
      fry.id,
    );
    expect(still[0]!.version).toBe(before[0]!.version);
    expect((await call('GET', '/rules/User')).body.revision).toBe(0);

    const saved = await call('PUT', '/rules/User', rules);
    expect(saved.status).toBe(200);
    expect(saved.body.rules.revision).toBe(1);
    expect(saved.body.recompute).toMatchObject({ status: 'queued', total: 1, processed: 0 });
    // The worker's handler runs this (the API has no consumer here): same service.
    await api.app.get(RecomputeService).run(tenantId, saved.body.recompute.id);
    const run = await call('GET', `/recomputes/${saved.body.recompute.id}`);
    expect(run.body).toMatchObject({ status: 'done', total: 1, processed: 1, changed: 1 });
    const after = await env.prisma.$queryRawUnsafe<Array<{ attributes: { title: string }; version: number }>>(
      `SELECT attributes, version FROM resources WHERE id = $1::uuid`,
      fry.id,
    );
    expect(after[0]!.attributes.title).toBe('Delivery Boy');
    expect(after[0]!.version).toBe(before[0]!.version + 1);

    const why = await call('GET', `/resources/${fry.id}/explanation?paths=title`);
    expect(why.status).toBe(200);
    expect(why.body.attributes).toHaveLength(1);
    expect(why.body.attributes[0]).toMatchObject({
      path: 'title',
      value: 'Delivery Boy',
      policy: 'priority',
    });
    expect(why.body.attributes[0].sentence).toMatch(
      /^title = "Delivery Boy" from HR \(priority 1\) since .*; LDAP says "Intern" \(priority 2, lower\)$/,
    );
    expect((await call('GET', `/resources/00000000-0000-4000-8000-000000000000/explanation`)).status).toBe(
      404,
    );
  });

  it('correlation cases: listed with their contribution, resolved by linking, closed for good', async () => {
    // A twin with the same employeeNumber (HR changed its number afterwards): LDAP's contribution is ambiguous.
    const twin = await write(hr, { userName: 'fry-twin', [ENTERPRISE_USER_URN]: { employeeNumber: '3999' } });
    await api.app.get(EngineInboundWriter).update(ctx(hr), {
      resourceType: 'User',
      id: twin.id,
      kind: 'patch',
      change: (c) => ({
        view: {
          attributes: { ...c.attributes, [ENTERPRISE_USER_URN]: { employeeNumber: '3000' } },
          externalId: null,
        },
        nameKey: null,
      }),
    });
    await expect(
      write(ldap, { userName: 'pjf', nickName: 'Fry', [ENTERPRISE_USER_URN]: { employeeNumber: '3000' } }),
    ).rejects.toThrow(/correlation case/);
    const open = await call('GET', '/correlation-cases?status=open');
    expect(open.body.items).toHaveLength(1);
    const kase = open.body.items[0];
    expect(kase.candidates).toContain(twin.id);
    const detail = await call('GET', `/correlation-cases/${kase.id}`);
    expect(detail.body.contribution).toMatchObject({
      sourceId: ldap,
      resourceId: null,
      attributes: { nickName: 'Fry' },
    });
    expect(
      (await call('GET', '/uncorrelated?resourceType=User')).body.items.map((c: { id: string }) => c.id),
    ).toContain(kase.contributionId);
    expect((await call('POST', `/correlation-cases/${kase.id}/resolve`, { action: 'link' })).status).toBe(
      400,
    );
    const resolved = await call('POST', `/correlation-cases/${kase.id}/resolve`, {
      action: 'link',
      resourceId: twin.id,
    });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ status: 'linked', resourceId: twin.id });
    const g = await env.prisma.$queryRawUnsafe<Array<{ attributes: { nickName?: string } }>>(
      `SELECT attributes FROM resources WHERE id = $1::uuid`,
      twin.id,
    );
    expect(g[0]!.attributes.nickName).toBe('Fry');
    expect((await call('POST', `/correlation-cases/${kase.id}/resolve`, { action: 'ignore' })).status).toBe(
      409,
    );
    expect((await call('GET', '/uncorrelated')).body.items).toHaveLength(0);
  });
});
