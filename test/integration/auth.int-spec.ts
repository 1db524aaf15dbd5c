import { json } from '../harness/json';
import { randomUUID } from 'node:crypto';
import { issueApiToken, parseApiToken } from '../../libs/auth/src';
import { createTestEnv, startApi, type RunningApi, type TestEnv } from '../harness/hub-fixture';
import { servedRoutes, type ServedRoute } from '../../apps/api/src/create-api-app';

/** Every route the HTTP server really serves, as Fastify registered them when Nest set up the app. */
function routesOf(api: RunningApi): ServedRoute[] {
  return servedRoutes(api.app).filter((r) => r.path !== '*'); // Nest's not-found handler
}

const PUBLIC = new Set(['GET /health/live', 'GET /health/ready']);

describe('authentication', () => {
  let env: TestEnv;
  let api: RunningApi;
  let adminToken: string;
  let otherTenantToken: string;

  beforeAll(async () => {
    env = await createTestEnv();
    api = await startApi(env.config);
    adminToken = (await env.createTenant('acme')).adminToken;
    otherTenantToken = (await env.createTenant('globex')).adminToken;
  });
  afterAll(async () => {
    await api.close();
    await env.close();
  });

  const call = (method: string, path: string, token?: string, body?: unknown) =>
    fetch(`${api.baseUrl}${path}`, {
      method,
      headers: {
        ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it('finds the routes it is about to check', () => {
    const routes = routesOf(api).map((r) => `${r.method} ${r.path}`);
    expect(routes).toEqual(
      expect.arrayContaining(['GET /admin/v1/tenant', 'POST /admin/v1/api-clients', ...PUBLIC]),
    );
  });

  it('refuses a missing, malformed, unknown or forged token on every non-health route', async () => {
    const routes = routesOf(api).filter((r) => !PUBLIC.has(`${r.method} ${r.path}`));
    expect(routes.length).toBeGreaterThan(5);
    const unknownClient = issueApiToken(randomUUID()).token;
    const forged = adminToken.slice(0, -4) + (adminToken.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    const wrong: Array<string | undefined> = [undefined, '', 'not-a-token', unknownClient, forged];
    for (const route of routes) {
      const path = route.path.replace(/:[A-Za-z]+/g, randomUUID());
      for (const token of wrong) {
        const res = await call(route.method, path, token, route.method === 'GET' ? undefined : {});
        const body = await json(res);
        expect({ route: `${route.method} ${route.path}`, token, status: res.status }).toEqual({
          route: `${route.method} ${route.path}`,
          token,
          status: 401,
        });
        expect(res.headers.get('www-authenticate')).toBe('Bearer');
        if (route.path.startsWith('/scim/')) {
          // RFC 7644 §3.12 error body on the SCIM surface.
          expect(body).toMatchObject({
            schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
            status: '401',
          });
        } else {
          expect(body.error.code).toBe('unauthorized');
        }
      }
    }
  });

  it('serves the admin OpenAPI document to admins only, describing the admin routes', async () => {
    expect((await call('GET', '/admin/v1/openapi.json')).status).toBe(401);
    const doc = await json(await call('GET', '/admin/v1/openapi.json', adminToken));
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/admin/v1/api-clients', '/admin/v1/sources', '/admin/v1/engine/rules']),
    );
    expect(Object.keys(doc.paths).some((p) => p.startsWith('/scim/'))).toBe(false);
  });

  it('echoes a well-formed X-Request-Id and replaces a malformed one', async () => {
    const kept = await fetch(`${api.baseUrl}/health/live`, { headers: { 'x-request-id': 'trace-42.a:b' } });
    expect(kept.headers.get('x-request-id')).toBe('trace-42.a:b');
    const replaced = await fetch(`${api.baseUrl}/health/live`, {
      headers: { 'x-request-id': 'x'.repeat(200) },
    });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const failed = await call('GET', '/admin/v1/tenant');
    const body = await json(failed);
    expect(body.error.requestId).toBe(failed.headers.get('x-request-id'));
  });

  it('lets health endpoints answer without a token', async () => {
    expect((await call('GET', '/health/live')).status).toBe(200);
    expect((await call('GET', '/health/ready')).status).toBe(200);
  });

  it('resolves a valid token to its own tenant only', async () => {
    const mine = await json(await call('GET', '/admin/v1/tenant', adminToken));
    const theirs = await json(await call('GET', '/admin/v1/tenant', otherTenantToken));
    expect(mine.tenant.slug).toBe('acme');
    expect(theirs.tenant.slug).toBe('globex');
    const mineClients = await json(await call('GET', '/admin/v1/api-clients', adminToken));
    expect(mineClients.items.map((c: { id: string }) => c.id)).toEqual([mine.client.id]);
  });

  it('needs the admin scope for admin routes, and honours revocation at once', async () => {
    const created = await call('POST', '/admin/v1/api-clients', adminToken, {
      name: 'hr-system',
      scopes: ['scim:write'],
    });
    expect(created.status).toBe(201);
    const client = await json(created);
    expect(client.token).toMatch(/^shub_/);

    const forbidden = await call('GET', '/admin/v1/api-clients', client.token);
    expect(forbidden.status).toBe(403);
    expect((await json(forbidden)).error.message).toContain('admin');
    expect((await call('GET', '/admin/v1/tenant', client.token)).status).toBe(200);

    // Another tenant's admin cannot revoke it, nor learn it exists.
    expect((await call('DELETE', `/admin/v1/api-clients/${client.id}`, otherTenantToken)).status).toBe(404);
    expect((await call('GET', '/admin/v1/tenant', client.token)).status).toBe(200);

    expect((await call('DELETE', `/admin/v1/api-clients/${client.id}`, adminToken)).status).toBe(200);
    expect((await call('GET', '/admin/v1/tenant', client.token)).status).toBe(401);
  });

  it('never returns or stores a token in clear', async () => {
    const created = await json(
      await call('POST', '/admin/v1/api-clients', adminToken, { name: 'reader', scopes: ['scim:read'] }),
    );
    const listed = await (await call('GET', '/admin/v1/api-clients', adminToken)).text();
    expect(listed).not.toContain(created.token);
    const secret = parseApiToken(created.token)!.secret;
    const rows = await env.prisma.$queryRawUnsafe<Array<{ t: string }>>(
      `SELECT row_to_json(a)::text AS t FROM api_clients a`,
    );
    expect(rows.some((r) => r.t.includes(secret))).toBe(false);
  });

  it('answers bad input with a precise error and changes nothing', async () => {
    const before = (await json(await call('GET', '/admin/v1/api-clients', adminToken))).items.length;
    const bad = await call('POST', '/admin/v1/api-clients', adminToken, {
      name: 'x',
      scopes: ['root'],
      extra: 1,
    });
    expect(bad.status).toBe(400);
    const body = await json(bad);
    expect(body.error.details).toEqual(
      expect.arrayContaining([expect.stringContaining('each scope must be one of')]),
    );
    expect(body.error.details).toEqual(
      expect.arrayContaining([expect.stringContaining('property extra should not exist')]),
    );
    const notJson = await fetch(`${api.baseUrl}/admin/v1/api-clients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: '{"name":',
    });
    expect(notJson.status).toBe(400);
    expect((await json(notJson)).error).toMatchObject({ code: 'bad_request', requestId: expect.any(String) });
    const after = (await json(await call('GET', '/admin/v1/api-clients', adminToken))).items.length;
    expect(after).toBe(before);
  });
});
