import { randomBytes } from 'node:crypto';
import { json } from '../harness/json';
import { createTestEnv, startApi, type RunningApi, type TestEnv } from '../harness/hub-fixture';
import { startScimTestServer, type ScimTestServer } from '../harness/scim-test-server';

/**
 * Provision on demand, retries, held confirmations and the visibility endpoints, on the real API
 * (no worker: what is pushed here is pushed synchronously by the endpoint itself) against a SCIM
 * server on loopback.
 */
describe('targets: provision on demand and visibility', () => {
  let env: TestEnv;
  let api: RunningApi;
  let admin: string;
  let otherAdmin: string;
  let scimToken: string;
  let app: ScimTestServer;
  let targetId: string;
  let fryId: string;

  const call = async (method: string, path: string, body?: unknown, as = admin) => {
    const res = await fetch(`${api.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${as}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: res.status === 204 ? undefined : await json(res) };
  };
  const createUser = async (userName: string) => {
    const res = await fetch(`${api.baseUrl}/scim/v2/Users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${scimToken}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName,
        name: { givenName: 'Philip', familyName: 'Fry' },
      }),
    });
    expect(res.status).toBe(201);
    return (await json(res)).id as string;
  };

  beforeAll(async () => {
    env = await createTestEnv({ SECRETS_KEY: randomBytes(32).toString('base64') });
    api = await startApi(env.config);
    admin = (await env.createTenant('acme')).adminToken;
    otherAdmin = (await env.createTenant('globex')).adminToken;
    scimToken = (
      await call('POST', '/admin/v1/api-clients', { name: 'hr', scopes: ['scim:read', 'scim:write'] })
    ).body.token;
    app = await startScimTestServer({ token: 'app-token' });
    const created = await call('POST', '/admin/v1/targets', {
      name: 'app',
      baseUrl: app.baseUrl,
      auth: { kind: 'bearer' },
      secrets: { token: 'app-token' },
    });
    targetId = created.body.id;
    expect((await call('POST', `/admin/v1/targets/${targetId}/discovery`)).status).toBe(200);
    fryId = await createUser('fry@planetexpress.com');
  });
  afterAll(async () => {
    await api.close();
    await env.close();
    await app.close();
  });

  it('provisions one user on demand and shows each step', async () => {
    const res = await call('POST', `/admin/v1/targets/${targetId}/provision/${fryId}`);
    expect(res.status).toBe(200);
    expect(res.body.result).toBe('done');
    const steps = res.body.steps.map((s: { step: string }) => s.step);
    for (const step of ['scope', 'match', 'request', 'response']) expect(steps).toContain(step);
    const atApp = [...app.store.get('User')!.values()];
    expect(atApp.map((u) => u.userName)).toEqual(['fry@planetexpress.com']);
    const create = app.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/Users'));
    expect(create).toHaveLength(1);

    const status = await call('GET', `/admin/v1/targets/${targetId}/status`);
    expect(status.body).toMatchObject({
      targetId,
      name: 'app',
      state: 'active',
      counts: { linked: 1, failed: 0, held: 0 },
      recentErrors: [],
    });
    expect(typeof status.body.queue.waiting).toBe('number');

    const log = await call('GET', `/admin/v1/provisioning-log?userName=FRY@planet&targetId=${targetId}`);
    expect(log.status).toBe(200);
    expect(log.body.items.length).toBeGreaterThan(0);
    expect(log.body.items[0]).toMatchObject({ resourceId: fryId, targetId, label: 'fry@planetexpress.com' });
    expect(
      log.body.items.some(
        (e: { action: string; outcome: string }) => e.action === 'create' && e.outcome === 'ok',
      ),
    ).toBe(true);
    const byResource = await call('GET', `/admin/v1/provisioning-log?resourceId=${fryId}&limit=1`);
    expect(byResource.body.items).toHaveLength(1);
    if (log.body.items.length > 1) expect(byResource.body.next).toBe(byResource.body.items[0].id);
    // Another tenant sees none of it.
    expect(
      (await call('GET', `/admin/v1/provisioning-log?resourceId=${fryId}`, undefined, otherAdmin)).body.items,
    ).toEqual([]);
    expect((await call('GET', `/admin/v1/targets/${targetId}/status`, undefined, otherAdmin)).status).toBe(
      404,
    );
  });

  it('parks a push the target refuses, shows it, and retries it', async () => {
    const leelaId = await createUser('leela@planetexpress.com');
    app.failNext({
      count: 1,
      status: 400,
      match: { method: 'POST', path: /\/Users$/ },
      body: { detail: 'no' },
    });
    const refused = await call('POST', `/admin/v1/targets/${targetId}/provision/${leelaId}`);
    expect(refused.body.result).toBe('parked');
    const status = await call('GET', `/admin/v1/targets/${targetId}/status`);
    expect(status.body.counts.failed).toBe(1);
    expect(status.body.recentErrors[0]).toMatchObject({
      resourceId: leelaId,
      outcome: 'failed',
      status: 400,
    });
    const failedLog = await call('GET', `/admin/v1/provisioning-log?targetId=${targetId}&outcome=failed`);
    expect(failedLog.body.items.map((e: { resourceId: string }) => e.resourceId)).toEqual([leelaId]);

    expect((await call('POST', `/admin/v1/targets/${targetId}/links/${randomUuid()}/retry`)).status).toBe(
      404,
    );
    const one = await call('POST', `/admin/v1/targets/${targetId}/links/${leelaId}/retry`);
    expect(one.body).toEqual({ retried: 1 });
    const after = await call('GET', `/admin/v1/targets/${targetId}/status`);
    expect(after.body.counts).toMatchObject({ failed: 0, pending: 1 });
    expect(after.body.queue.waiting + after.body.queue.delayed).toBeGreaterThanOrEqual(1);
    // Nothing failed any more: retrying all finds nothing.
    expect((await call('POST', `/admin/v1/targets/${targetId}/retry`)).body).toEqual({ retried: 0 });
    // The push goes through now.
    expect((await call('POST', `/admin/v1/targets/${targetId}/provision/${leelaId}`)).body.result).toBe(
      'done',
    );
    expect([...app.store.get('User')!.values()].map((u) => u.userName).sort()).toEqual([
      'fry@planetexpress.com',
      'leela@planetexpress.com',
    ]);
  });

  it('confirms or discards held deprovisioning, audits every action, and 404s unknown targets', async () => {
    expect((await call('POST', `/admin/v1/targets/${targetId}/held/confirm`)).body).toEqual({ confirmed: 0 });
    expect((await call('POST', `/admin/v1/targets/${targetId}/held/discard`)).body).toEqual({ discarded: 0 });
    const unknown = randomUuid();
    for (const path of ['provision/' + fryId, 'retry', 'held/confirm', 'held/discard'])
      expect((await call('POST', `/admin/v1/targets/${unknown}/${path}`)).status).toBe(404);
    expect(
      (await call('POST', `/admin/v1/targets/${targetId}/provision/${fryId}`, undefined, otherAdmin)).status,
    ).toBe(404);
    const bad = await call('GET', '/admin/v1/provisioning-log?limit=0&before=x');
    expect(bad.status).toBe(400);
    const actions = await env.prisma.$queryRawUnsafe<Array<{ action: string }>>(
      `SELECT action FROM audit_events WHERE resource_id = $1 ORDER BY seq`,
      targetId,
    );
    expect(actions.map((a) => a.action)).toEqual(
      expect.arrayContaining([
        'target.provisioned_on_demand',
        'target.retried',
        'target.held_confirmed',
        'target.held_discarded',
      ]),
    );
  });
});

function randomUuid(): string {
  return crypto.randomUUID();
}
