import { randomBytes } from 'node:crypto';
import { json } from '../harness/json';
import { createTestEnv, startApi, type RunningApi, type TestEnv } from '../harness/hub-fixture';

describe('sources admin API', () => {
  let env: TestEnv;
  let api: RunningApi;
  let token: string;
  let otherToken: string;

  beforeAll(async () => {
    env = await createTestEnv({ SECRETS_KEY: randomBytes(32).toString('base64') });
    api = await startApi(env.config);
    token = (await env.createTenant('acme')).adminToken;
    otherToken = (await env.createTenant('globex')).adminToken;
  });
  afterAll(async () => {
    await api.close();
    await env.close();
  });

  const call = (method: string, path: string, body?: unknown, as = token) =>
    fetch(`${api.baseUrl}/admin/v1/sources${path}`, {
      method,
      headers: {
        authorization: `Bearer ${as}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  const ldap = {
    name: 'Planet Express LDAP',
    kind: 'ldap',
    roles: { User: { create: false, update: true }, Group: { create: true, update: true } },
    config: { url: 'ldap://127.0.0.1:1389', bindDn: 'cn=admin,dc=planetexpress,dc=com' },
    secrets: { bindPassword: 'GoodNewsEveryone' },
  };

  it('stores secrets encrypted and only ever returns their names', async () => {
    const res = await call('POST', '', ldap);
    expect(res.status).toBe(201);
    const created = await json(res);
    expect(created).toMatchObject({
      name: ldap.name,
      kind: 'ldap',
      roles: ldap.roles,
      config: ldap.config,
      secretNames: ['bindPassword'],
      enabled: true,
    });
    const listed = await (await call('GET', '')).text();
    const one = await (await call('GET', `/${created.id}`)).text();
    for (const body of [JSON.stringify(created), listed, one]) expect(body).not.toContain('GoodNewsEveryone');
    const rows = await env.prisma.$queryRawUnsafe<Array<{ t: string }>>(
      `SELECT encode(secrets, 'escape') || row_to_json(s)::text AS t FROM sources s`,
    );
    expect(rows.some((r) => r.t.includes('GoodNewsEveryone'))).toBe(false);
    const audit = await env.prisma.$queryRawUnsafe<Array<{ t: string }>>(
      `SELECT row_to_json(a)::text AS t FROM audit_events a`,
    );
    expect(audit.some((r) => r.t.includes('GoodNewsEveryone'))).toBe(false);
    expect(audit.some((r) => r.t.includes('source.created'))).toBe(true);
  });

  it('updates, replaces or removes secrets, and keeps them when omitted', async () => {
    const created = await json(await call('POST', '', { ...ldap, name: 'second' }));
    const renamed = await json(
      await call('PATCH', `/${created.id}`, { name: 'second-renamed', enabled: false }),
    );
    expect(renamed).toMatchObject({ name: 'second-renamed', enabled: false, secretNames: ['bindPassword'] });
    const replaced = await json(
      await call('PATCH', `/${created.id}`, { secrets: { clientSecret: 's3cr3t', apiKey: 'k' } }),
    );
    expect(replaced.secretNames).toEqual(['apiKey', 'clientSecret']);
    const removed = await json(await call('PATCH', `/${created.id}`, { secrets: {} }));
    expect(removed.secretNames).toEqual([]);
  });

  it('keeps each tenant to its own sources', async () => {
    const created = await json(await call('POST', '', { ...ldap, name: 'private' }));
    expect((await call('GET', `/${created.id}`, undefined, otherToken)).status).toBe(404);
    expect((await call('PATCH', `/${created.id}`, { enabled: false }, otherToken)).status).toBe(404);
    expect((await call('DELETE', `/${created.id}`, undefined, otherToken)).status).toBe(404);
    expect((await json(await call('GET', '', undefined, otherToken))).items).toEqual([]);
    // The same name is free in another tenant.
    expect((await call('POST', '', { ...ldap, name: 'private' }, otherToken)).status).toBe(201);
  });

  it('rejects bad input precisely and changes nothing', async () => {
    const before = (await json(await call('GET', ''))).items.length;
    const cases: Array<[unknown, RegExp]> = [
      [{ ...ldap, name: 'x1', kind: 'oracle' }, /kind must be one of/],
      [
        { ...ldap, name: 'x2', roles: { User: { create: 'yes', update: true } } },
        /roles must map resource types/,
      ],
      [
        { ...ldap, name: 'x3', secrets: { bindPassword: 42 } },
        /secrets must map up to 20 names to string values/,
      ],
      [{ ...ldap, name: 'x4', config: 'ldap://x' }, /config must be/],
      [{ ...ldap, name: '' }, /name must be longer than or equal to 1 characters/],
      [{ ...ldap, name: 'x5', extra: true }, /property extra should not exist/],
    ];
    for (const [body, message] of cases) {
      const res = await call('POST', '', body);
      expect(res.status).toBe(400);
      expect((await json(res)).error.details.join('\n')).toMatch(message);
    }
    expect((await call('POST', '', ldap)).status).toBe(409); // name taken
    expect((await call('PATCH', '/not-a-uuid', { enabled: true })).status).toBe(400);
    expect((await json(await call('GET', ''))).items.length).toBe(before);
  });

  it('deletes', async () => {
    const created = await json(await call('POST', '', { ...ldap, name: 'to-delete', secrets: undefined }));
    expect((await call('DELETE', `/${created.id}`)).status).toBe(204);
    expect((await call('GET', `/${created.id}`)).status).toBe(404);
  });
});

describe('sources admin API without SECRETS_KEY', () => {
  it('refuses to store secrets and names the missing setting', async () => {
    const env = await createTestEnv();
    const api = await startApi(env.config);
    try {
      const { adminToken } = await env.createTenant('nokey');
      const res = await fetch(`${api.baseUrl}/admin/v1/sources`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'hr', kind: 'rest', secrets: { apiKey: 'k' } }),
      });
      expect(res.status).toBe(503);
      expect((await json(res)).error.message).toMatch(/SECRETS_KEY/);
      expect(await env.prisma.source.count()).toBe(0);
    } finally {
      await api.close();
      await env.close();
    }
  });
});
