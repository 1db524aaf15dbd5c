import { randomBytes } from 'node:crypto';
import { json } from '../harness/json';
import { createTestEnv, startApi, type RunningApi, type TestEnv } from '../harness/hub-fixture';
import { freePort, PLANET_EXPRESS, startSlapd, type RunningSlapd } from '../harness/slapd';

/** `POST /admin/v1/sources/:id/test` against a real slapd: what an admin sees for each failure. */
describe('testing a source connection', () => {
  let env: TestEnv;
  let api: RunningApi;
  let slapd: RunningSlapd;
  let token: string;
  let otherToken: string;

  beforeAll(async () => {
    [env, slapd] = await Promise.all([
      createTestEnv({ SECRETS_KEY: randomBytes(32).toString('base64') }),
      startSlapd({ planetExpress: false }),
    ]);
    api = await startApi(env.config);
    token = (await env.createTenant('acme')).adminToken;
    otherToken = (await env.createTenant('globex')).adminToken;
  });
  afterAll(async () => {
    await api.close();
    await env.close();
    await slapd.stop();
  });

  const call = async (method: string, path: string, body?: unknown, as = token) => {
    const res = await fetch(`${api.baseUrl}/admin/v1/sources${path}`, {
      method,
      headers: {
        authorization: `Bearer ${as}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await json(res) };
  };
  const ldapSource = async (name: string, config: Record<string, unknown>, password: string) =>
    (
      await call('POST', '', {
        name,
        kind: 'ldap',
        config: {
          url: slapd.url,
          bindDn: PLANET_EXPRESS.readerDn,
          users: {
            baseDns: [PLANET_EXPRESS.baseDn],
            filter: '(objectClass=inetOrgPerson)',
            mapping: { rules: [{ target: 'userName', source: 'uid' }] },
          },
          ...config,
        },
        secrets: { bindPassword: password },
      })
    ).body.id as string;

  it('reports success with what was checked', async () => {
    const id = await ldapSource('good', {}, PLANET_EXPRESS.readerPassword);
    const { status, body } = await call('POST', `/${id}/test`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ ok: true, detail: expect.stringContaining(PLANET_EXPRESS.readerDn) });
  });

  it('names a wrong password as an auth failure without echoing it', async () => {
    const id = await ldapSource('bad-password', {}, 'Hunter2-wrong');
    const { body } = await call('POST', `/${id}/test`);
    expect(body).toMatchObject({ ok: false, kind: 'auth', retryable: false });
    expect(JSON.stringify(body)).not.toContain('Hunter2-wrong');
  });

  it('names an unreachable directory', async () => {
    const id = await ldapSource('unreachable', { url: `ldap://127.0.0.1:${await freePort()}` }, 'x');
    const { body } = await call('POST', `/${id}/test`);
    expect(body).toMatchObject({ ok: false, kind: 'unreachable' });
  });

  it('names an unusable configuration', async () => {
    const id = await ldapSource(
      'bad-filter',
      { users: { baseDns: [PLANET_EXPRESS.baseDn], filter: '(uid=', mapping: { rules: [] } } },
      'x',
    );
    const { body } = await call('POST', `/${id}/test`);
    expect(body).toMatchObject({ ok: false, kind: 'config' });
  });

  it('refuses kinds with nothing to connect to, and other tenants', async () => {
    const inbound = (await call('POST', '', { name: 'hr-push', kind: 'scim_inbound' })).body.id as string;
    expect((await call('POST', `/${inbound}/test`)).status).toBe(400);
    const id = await ldapSource('private', {}, PLANET_EXPRESS.readerPassword);
    expect((await call('POST', `/${id}/test`, undefined, otherToken)).status).toBe(404);
  });
});
