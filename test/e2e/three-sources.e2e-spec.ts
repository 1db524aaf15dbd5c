import type { INestApplicationContext } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { ENTERPRISE_USER_URN } from '@hub/scim';
import { createWorkerApp } from '../../apps/worker/src/create-worker-app';
import { json } from '../harness/json';
import { createTestEnv, startApi, type RunningApi, type TestEnv } from '../harness/hub-fixture';
import { eventually } from '../harness/processes';
import { PLANET_EXPRESS, startSlapd, type RunningSlapd } from '../harness/slapd';
import {
  startRestFixtureServer,
  type Employee,
  type RestFixtureServer,
} from '../fixtures/rest/rest-fixture-server';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';

/**
 * Issue 5's end-to-end scenario: an LDAP directory, a REST HR API and an inbound SCIM client (a
 * mobile app) all describe Philip J. Fry. Authority rules set through the admin API give each
 * attribute an owner; runs are triggered through the admin API and carried out by the worker.
 * Exactly one golden record results, each attribute from its authority, and the explanation
 * endpoint says so.
 */
describe('three sources, one golden record', () => {
  let env: TestEnv;
  let api: RunningApi;
  let worker: INestApplicationContext;
  let slapd: RunningSlapd;
  let hrApi: RestFixtureServer;
  let adminToken: string;

  beforeAll(async () => {
    env = await createTestEnv({ WORKER_QUEUES: 'sync', SECRETS_KEY: randomBytes(32).toString('base64') });
    [api, worker, slapd, hrApi] = await Promise.all([
      startApi(env.config),
      createWorkerApp(env.config, { shutdownHooks: false }),
      startSlapd(),
      startRestFixtureServer(2),
    ]);
    adminToken = (await env.createTenant('planet-express')).adminToken;
    // HR knows Fry too (with the fields an HR system has and the directory does not).
    hrApi.employees.push({
      id: 'E900',
      name: { first: 'Philip', last: 'Fry' },
      email: 'Fry@PlanetExpress.com',
      department: 'Delivery',
      status: 'active',
      updatedAt: '2024-01-01T00:00:00.000Z',
      jobTitle: 'Delivery Captain',
    } as Employee);
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await slapd?.stop();
    await hrApi?.close();
    await env?.close();
  });

  const call = async (method: string, path: string, body?: unknown, token = adminToken) => {
    const res = await fetch(`${api.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: res.status === 204 ? undefined : await json(res) };
  };
  const source = async (body: Record<string, unknown>): Promise<string> => {
    const res = await call('POST', '/admin/v1/sources', body);
    expect(res.status).toBe(201);
    return res.body.id;
  };
  const runToEnd = async (sourceId: string) => {
    const started = await call('POST', `/admin/v1/sources/${sourceId}/runs`, { mode: 'full' });
    expect(started.status).toBe(202);
    return eventually(
      async () => {
        const { body } = await call('GET', `/admin/v1/sources/${sourceId}/runs/${started.body.id}`);
        return ['queued', 'running'].includes(body.status) ? undefined : body;
      },
      30_000,
      'sync run',
    );
  };

  it('LDAP, HR and a SCIM client make one Fry, each attribute from its authority', async () => {
    const ldap = await source({
      name: 'Directory',
      kind: 'ldap',
      roles: { User: { create: true, update: true } },
      config: {
        url: slapd.url,
        bindDn: PLANET_EXPRESS.readerDn,
        users: {
          baseDns: [PLANET_EXPRESS.peopleDn],
          filter: '(objectClass=inetOrgPerson)',
          mapping: {
            rules: [
              { target: 'userName', source: 'mail', transform: 'lower' },
              { target: 'displayName', source: 'displayName' },
              { target: 'emails[type eq "work"].value', source: 'mail', transform: 'lower', primary: true },
              { target: 'title', source: 'employeeType' },
            ],
          },
        },
      },
      secrets: { bindPassword: PLANET_EXPRESS.readerPassword },
    });
    const hr = await source({
      name: 'HR',
      kind: 'rest',
      roles: { User: { create: false, update: true } },
      config: {
        baseUrl: hrApi.baseUrl,
        resources: [
          {
            resourceType: 'User',
            path: '/api/page/employees',
            recordsPath: 'data',
            keyField: 'id',
            pagination: { style: 'page', pageSize: 10 },
            mapping: {
              rules: [
                { target: 'userName', source: 'email', transform: 'lower' },
                { target: 'title', source: 'jobTitle' },
                { target: `${ENTERPRISE_USER_URN}:department`, source: 'department' },
                { target: `${ENTERPRISE_USER_URN}:employeeNumber`, source: 'id' },
              ],
            },
          },
        ],
      },
    });
    const app = await source({
      name: 'Mobile app',
      kind: 'scim_inbound',
      roles: { User: { create: false, update: true } },
    });

    const rules = await call('PUT', '/admin/v1/engine/rules/User', {
      authority: {
        rules: [
          { path: 'title', policy: 'priority', sources: [hr, ldap] },
          { path: `${ENTERPRISE_USER_URN}:department`, policy: 'exclusive', sources: [hr] },
          { path: `${ENTERPRISE_USER_URN}:employeeNumber`, policy: 'exclusive', sources: [hr] },
          { path: 'userName', policy: 'priority', sources: [ldap] },
          { path: 'displayName', policy: 'priority', sources: [ldap, app] },
          { path: 'emails[type eq "work"]', policy: 'priority', sources: [ldap] },
          { path: 'nickName', policy: 'exclusive', sources: [app] },
        ],
        defaultRule: { policy: 'priority', sources: [ldap, hr, app] },
      },
      correlation: [{ kind: 'link' }, { kind: 'attribute', path: 'userName' }],
    });
    expect(rules.status).toBe(200);

    expect(await runToEnd(ldap)).toMatchObject({ status: 'done', progress: { created: 7 } });
    // HR may not create: Fry joins the directory's record; the two others wait (parked).
    expect(await runToEnd(hr)).toMatchObject({ status: 'done', progress: { seen: 3, created: 0 } });

    const client = await call('POST', '/admin/v1/api-clients', {
      name: 'mobile',
      scopes: ['scim:read', 'scim:write'],
      sourceId: app,
    });
    expect(client.status).toBe(201);
    const scimToken: string = client.body.token;
    const posted = await call(
      'POST',
      '/scim/v2/Users',
      {
        schemas: [USER],
        userName: 'fry@planetexpress.com',
        nickName: 'Phil',
        displayName: 'Philip',
        title: 'Intern',
      },
      scimToken,
    );
    expect(posted.status).toBe(201);

    const found = await call(
      'GET',
      `/scim/v2/Users?filter=${encodeURIComponent('userName eq "fry@planetexpress.com"')}`,
      undefined,
      scimToken,
    );
    expect(found.body.totalResults).toBe(1);
    const fry = found.body.Resources[0];
    expect(fry.id).toBe(posted.body.id);
    expect(fry).toMatchObject({
      userName: 'fry@planetexpress.com', // LDAP
      displayName: 'Fry', // LDAP over the app
      emails: [{ type: 'work', value: 'fry@planetexpress.com', primary: true }], // LDAP
      title: 'Delivery Captain', // HR over LDAP ("Delivery boy") and the app ("Intern")
      nickName: 'Phil', // the app
      [ENTERPRISE_USER_URN]: { department: 'Delivery', employeeNumber: 'E900' }, // HR
    });

    const why = await call(
      'GET',
      `/admin/v1/engine/resources/${fry.id}/explanation?paths=title,nickName,displayName,${ENTERPRISE_USER_URN}:department`,
    );
    expect(why.status).toBe(200);
    const sentence = (path: string): string =>
      why.body.attributes.find((a: { path: string }) => a.path === path).sentence;
    expect(sentence('title')).toMatch(/^title = "Delivery Captain" from HR \(priority 1\)/);
    expect(sentence('title')).toContain('Directory says "Delivery boy"');
    expect(sentence('nickName')).toMatch(/^nickName = "Phil" from Mobile app/);
    expect(sentence('displayName')).toMatch(/^displayName = "Fry" from Directory/);
    expect(sentence(`${ENTERPRISE_USER_URN}:department`)).toContain('"Delivery" from HR');

    // Exactly one golden record carries Fry's three contributions.
    const rows = await env.prisma.$queryRawUnsafe<Array<{ n: number }>>(
      `SELECT count(DISTINCT source_id)::int AS n FROM contributions WHERE resource_id = $1::uuid AND deleted_at IS NULL`,
      fry.id,
    );
    expect(rows[0]!.n).toBe(3);
  });
});
