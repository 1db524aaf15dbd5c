import { randomBytes } from 'node:crypto';
import { json } from '../harness/json';
import { createTestEnv, startApi, type RunningApi, type TestEnv } from '../harness/hub-fixture';
import { startScimTestServer, type ScimTestServer } from '../harness/scim-test-server';
import { startThirdPartyScimServer, type ThirdPartyScimServer } from '../harness/third-party-scim-server';

/**
 * The targets admin API on the real API app, real Postgres, and real SCIM servers on loopback:
 * configuration with precise 400s, write-only secrets, discovery with failures that say why,
 * capability overrides, the dialect probe stored on the target, audit rows for every change.
 */
describe('targets admin API', () => {
  let env: TestEnv;
  let api: RunningApi;
  let token: string;
  let otherToken: string;
  let scim: ScimTestServer;
  let thirdParty: ThirdPartyScimServer;

  beforeAll(async () => {
    env = await createTestEnv({ SECRETS_KEY: randomBytes(32).toString('base64') });
    api = await startApi(env.config);
    token = (await env.createTenant('acme')).adminToken;
    otherToken = (await env.createTenant('globex')).adminToken;
    scim = await startScimTestServer({ token: 'target-secret-token' });
    thirdParty = await startThirdPartyScimServer();
  });
  afterAll(async () => {
    await api.close();
    await env.close();
    await scim.close();
    await thirdParty.close();
  });

  const call = (method: string, path: string, body?: unknown, as = token) =>
    fetch(`${api.baseUrl}/admin/v1/targets${path}`, {
      method,
      headers: {
        authorization: `Bearer ${as}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const target = (over: Record<string, unknown> = {}) => ({
    name: `app-${randomBytes(3).toString('hex')}`,
    baseUrl: scim.baseUrl,
    auth: { kind: 'bearer' },
    secrets: { token: 'target-secret-token' },
    ...over,
  });

  it('creates a target with defaults, keeps the token write-only, and audits', async () => {
    const res = await call('POST', '', target({ name: 'Salesforce', rateLimit: 300, concurrency: 8 }));
    expect(res.status).toBe(201);
    const created = await json(res);
    expect(created).toMatchObject({
      name: 'Salesforce',
      baseUrl: scim.baseUrl,
      auth: { kind: 'bearer' },
      secretNames: ['token'],
      rateLimit: 300,
      concurrency: 8,
      enabled: true,
      state: 'active',
      capabilities: null,
      dialect: null,
      resourceTypes: {
        User: {
          enabled: true,
          matchAttribute: 'userName',
          mapping: { mode: 'identity' },
          deprovision: 'disable',
        },
        Group: { enabled: true, matchAttribute: 'displayName' },
      },
      deletionThreshold: { share: 0.2, windowMinutes: 60, minimum: 10 },
    });
    const bodies = [
      JSON.stringify(created),
      await (await call('GET', '')).text(),
      await (await call('GET', `/${created.id}`)).text(),
    ];
    for (const body of bodies) expect(body).not.toContain('target-secret-token');
    const rows = await env.prisma.$queryRawUnsafe<Array<{ t: string }>>(
      `SELECT encode(secrets, 'escape') || row_to_json(t)::text AS t FROM targets t`,
    );
    expect(rows.some((r) => r.t.includes('target-secret-token'))).toBe(false);
    const audit = await env.prisma.$queryRawUnsafe<Array<{ action: string; t: string }>>(
      `SELECT action, row_to_json(a)::text AS t FROM audit_events a WHERE resource_type = 'Target'`,
    );
    expect(audit.map((a) => a.action)).toContain('target.created');
    expect(audit.some((a) => a.t.includes('target-secret-token'))).toBe(false);
  });

  it('refuses bad configuration with precise 400s', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ baseUrl: 'ftp://example.test/scim' }, /baseUrl/],
      [{ baseUrl: 'http://user:pw@127.0.0.1/scim' }, /baseUrl/],
      [{ rateLimit: 0 }, /rateLimit must not be less than 1/],
      [{ concurrency: 1.5 }, /concurrency must be an integer/],
      [{ secrets: { apiKey: 'x' } }, /secrets may only hold token, password, clientSecret, clientKeyPem/],
      [{ auth: { kind: 'bearer' }, secrets: {} }, /secrets\.token: is required for auth "bearer"/],
      [
        { auth: { kind: 'oauth2', clientId: 'c' }, secrets: { clientSecret: 's' } },
        /auth\.tokenUrl: must be an http\(s\) URL/,
      ],
      [
        { resourceTypes: { User: { matchAttribute: 'shoeSize' } } },
        /resourceTypes\.User\.matchAttribute: unknown attribute "shoeSize"/,
      ],
      [{ resourceTypes: { Printer: {} } }, /unknown resource type "Printer"/],
      [
        { resourceTypes: { User: { scope: { filter: 'userName eq' } } } },
        /resourceTypes\.User\.scope\.filter/,
      ],
      [
        {
          resourceTypes: {
            User: { mapping: { mode: 'explicit', attributes: [{ target: 'title', expression: '$$$(' }] } },
          },
        },
        /resourceTypes\.User\.mapping\.attributes\[0\]\.expression/,
      ],
      [
        { deletionThreshold: { share: 2, windowMinutes: 60, minimum: 10 } },
        /deletionThreshold\.share: must be a number in \(0, 1\]/,
      ],
      [{ tls: { caPem: 'not a pem' } }, /tls\.caPem must be a PEM certificate/],
    ];
    for (const [over, message] of cases) {
      const res = await call('POST', '', target(over));
      const body = await json(res);
      expect([JSON.stringify(over), res.status]).toEqual([JSON.stringify(over), 400]);
      expect((body.error.details as string[]).join('\n')).toMatch(message);
    }
    expect((await call('POST', '', target({ name: 'Salesforce' }))).status).toBe(409);
  });

  it('updates partially, replaces secrets, enables and disables, deletes', async () => {
    const created = await json(await call('POST', '', target()));
    const patched = await json(await call('PATCH', `/${created.id}`, { rateLimit: 10, name: 'renamed-app' }));
    expect(patched).toMatchObject({
      rateLimit: 10,
      name: 'renamed-app',
      secretNames: ['token'],
      concurrency: 4,
    });
    // Switching to basic auth needs a password: the stored token does not do.
    const refused = await call('PATCH', `/${created.id}`, { auth: { kind: 'basic', username: 'hub' } });
    expect(refused.status).toBe(400);
    expect(JSON.stringify((await json(refused)).error.details)).toMatch(/secrets\.password: is required/);
    const basic = await json(
      await call('PATCH', `/${created.id}`, {
        auth: { kind: 'basic', username: 'hub' },
        secrets: { password: 'pw' },
      }),
    );
    expect(basic).toMatchObject({ auth: { kind: 'basic', username: 'hub' }, secretNames: ['password'] });
    expect(await json(await call('POST', `/${created.id}/disable`))).toMatchObject({ enabled: false });
    expect(await json(await call('POST', `/${created.id}/enable`))).toMatchObject({ enabled: true });
    // Another tenant sees nothing of it.
    expect((await call('GET', `/${created.id}`, undefined, otherToken)).status).toBe(404);
    expect((await call('DELETE', `/${created.id}`, undefined, otherToken)).status).toBe(404);
    expect((await call('DELETE', `/${created.id}`)).status).toBe(204);
    expect((await call('GET', `/${created.id}`)).status).toBe(404);
    const actions = await env.prisma.$queryRawUnsafe<Array<{ action: string }>>(
      `SELECT action FROM audit_events WHERE resource_id = $1 ORDER BY seq`,
      created.id,
    );
    expect(actions.map((a) => a.action)).toEqual([
      'target.created',
      'target.updated',
      'target.updated',
      'target.disabled',
      'target.enabled',
      'target.deleted',
    ]);
  });

  it('discovers capabilities and takes overrides where the target lies', async () => {
    const created = await json(await call('POST', '', target()));
    const res = await call('POST', `/${created.id}/discovery`);
    expect(res.status).toBe(200);
    const discovered = await json(res);
    expect(discovered.capabilities).toMatchObject({
      patch: true,
      filter: true,
      etag: true,
      pagination: { index: true, cursor: true },
      resourceTypes: { User: { endpoint: '/Users' }, Group: { endpoint: '/Groups' } },
    });
    expect(discovered.capabilities.schemas).toContain('urn:ietf:params:scim:schemas:core:2.0:User');
    expect(typeof discovered.capabilities.discoveredAt).toBe('string');
    const overridden = await json(
      await call('PUT', `/${created.id}/capability-overrides`, { etag: false, maxPatchOperations: 50 }),
    );
    expect(overridden.capabilityOverrides).toEqual({ etag: false, maxPatchOperations: 50 });
    expect(overridden.effectiveCapabilities).toMatchObject({
      etag: false,
      patch: true,
      maxPatchOperations: 50,
    });
    const bad = await call('PUT', `/${created.id}/capability-overrides`, { patch: 'yes', schemas: ['nope'] });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.details).toEqual(
      expect.arrayContaining(['patch must be a boolean value', 'each schema must be a URN']),
    );
    const cleared = await json(await call('PUT', `/${created.id}/capability-overrides`, {}));
    expect(cleared.effectiveCapabilities.etag).toBe(true);
  });

  it('says why discovery failed, without echoing the secret', async () => {
    const wrongToken = await json(
      await call('POST', '', target({ secrets: { token: 'not-the-right-one' } })),
    );
    const auth = await call('POST', `/${wrongToken.id}/discovery`);
    expect(auth.status).toBe(502);
    const authBody = await json(auth);
    expect(authBody.error).toMatchObject({ code: 'target_auth', details: { kind: 'auth', status: 401 } });
    expect(JSON.stringify(authBody)).not.toContain('not-the-right-one');

    const closed = await startScimTestServer();
    const deadUrl = closed.baseUrl;
    await closed.close();
    const dead = await json(await call('POST', '', target({ baseUrl: deadUrl })));
    const unreachable = await json(await call('POST', `/${dead.id}/discovery`));
    expect(unreachable.error).toMatchObject({ code: 'target_unreachable' });
    expect(unreachable.error.message).toMatch(/unreachable/);

    const tls = await json(
      await call('POST', '', target({ baseUrl: scim.baseUrl.replace('http:', 'https:') })),
    );
    const tlsBody = await json(await call('POST', `/${tls.id}/discovery`));
    expect(['target_tls', 'target_unreachable']).toContain(tlsBody.error.code);

    const notScim = await json(await call('POST', '', target({ baseUrl: `${api.baseUrl}/health` })));
    const protocolBody = await json(await call('POST', `/${notScim.id}/discovery`));
    expect(protocolBody.error.code).toMatch(/^target_(protocol|remote)$/);
  });

  it('runs the dialect probe, stores the report, and leaves nothing behind', async () => {
    const created = await json(await call('POST', '', target()));
    await call('POST', `/${created.id}/discovery`);
    const res = await call('POST', `/${created.id}/probe`);
    expect(res.status).toBe(200);
    const report = await json(res);
    expect(report.userName).toMatch(/^scimhub-probe-/);
    const byId = Object.fromEntries(report.checks.map((c: { id: string }) => [c.id, c]));
    expect(byId['patch.valuePath']).toMatchObject({ outcome: 'supported', advertised: true });
    expect(byId['etag.ifMatch']).toMatchObject({ outcome: 'unsupported', advertised: true });
    expect(report.cleanup.leftBehind).toEqual([]);
    expect(
      [...scim.store.get('User')!.values()].filter((u) => String(u.userName).startsWith('scimhub-probe')),
    ).toEqual([]);
    const stored = await json(await call('GET', `/${created.id}`));
    expect(stored.dialect).toMatchObject({ userName: report.userName, summary: report.summary });
    expect(typeof stored.dialect.finishedAt).toBe('string');

    // And against a server built on a third-party library.
    const tp = await json(
      await call('POST', '', target({ baseUrl: thirdParty.baseUrl, secrets: { token: thirdParty.token } })),
    );
    const tpReport = await json(await call('POST', `/${tp.id}/probe`));
    expect(tpReport.dialect).toMatchObject({ patch: { valuePathFilters: true }, etagIfMatch: false });
    expect(thirdParty.users()).toEqual([]);
  });
});
