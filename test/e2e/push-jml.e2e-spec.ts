import type { INestApplicationContext } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { EngineSweepService } from '../../libs/aggregation/src';
import { createWorkerApp } from '../../apps/worker/src/create-worker-app';
import { createTestEnv, startApi, type RunningApi, type TestEnv } from '../harness/hub-fixture';
import { eventually } from '../harness/processes';
import {
  ENTERPRISE_SCHEMA,
  PATCH_OP,
  USER_SCHEMA,
  addTarget,
  caller,
  inboundScimSource,
  strictCaller,
  type Call,
} from '../harness/push-fixture';
import { startScimTestServer, type ScimTestServer } from '../harness/scim-test-server';
import { startThirdPartyScimServer, type ThirdPartyScimServer } from '../harness/third-party-scim-server';

const GRACE_MS = 4_000;
const SALES_ONLY = `${ENTERPRISE_SCHEMA}:department eq "Sales"`;

/**
 * Joiner, mover, leaver (issue 6, RFC 7642 §2.4.3), asserted on the targets themselves:
 * - everyone: every user, deleted there when the golden record is deleted;
 * - sales-crm: only the Sales department (a scope filter), deleted when they leave scope;
 * - sales-wiki (SCIMMY): only Sales too, but disabled when they leave scope.
 * The HR client is the lifecycle authority: its DELETE suspends the golden record (active=false
 * at every target at once) and the engine's sweep deletes it after the grace period.
 */
describe('joiner, mover, leaver at the targets', () => {
  let env: TestEnv;
  let api: RunningApi;
  let worker: INestApplicationContext;
  let everyone: ScimTestServer;
  let crm: ScimTestServer;
  let wiki: ThirdPartyScimServer;
  let hr: Call;
  let admin: Call;

  beforeAll(async () => {
    env = await createTestEnv({
      SECRETS_KEY: randomBytes(32).toString('base64'),
      WORKER_CONCURRENCY: '8',
      WORKER_QUEUES: 'system,events,push',
    });
    [api, everyone, crm, wiki] = await Promise.all([
      startApi(env.config),
      startScimTestServer({ token: 'everyone' }),
      startScimTestServer({ token: 'crm' }),
      startThirdPartyScimServer(),
    ]);
    worker = await createWorkerApp(env.config, { shutdownHooks: false });
    const tenant = await env.createTenant();
    admin = caller(api.baseUrl, tenant.adminToken);
    const source = await inboundScimSource(api, tenant.tenant.id, 'hr');
    hr = strictCaller(`${api.baseUrl}/scim/v2`, source.token);
    const rules = await admin('PUT', '/admin/v1/engine/rules/User', {
      lifecycle: { authorities: [source.sourceId], graceMs: GRACE_MS },
    });
    expect(rules.status).toBe(200);

    const user = (scope: string | undefined, deprovision: string) => ({
      User: {
        enabled: true,
        matchAttribute: 'userName',
        mapping: { mode: 'identity' },
        deprovision,
        ...(scope ? { scope: { filter: scope } } : {}),
      },
    });
    const common = { auth: { kind: 'bearer' }, rateLimit: 100, concurrency: 4 };
    await addTarget(admin, {
      ...common,
      name: 'everyone',
      baseUrl: everyone.baseUrl,
      secrets: { token: 'everyone' },
      resourceTypes: user(undefined, 'delete'),
    });
    await addTarget(admin, {
      ...common,
      name: 'sales-crm',
      baseUrl: crm.baseUrl,
      secrets: { token: 'crm' },
      resourceTypes: user(SALES_ONLY, 'delete'),
    });
    await addTarget(admin, {
      ...common,
      name: 'sales-wiki',
      baseUrl: wiki.baseUrl,
      secrets: { token: wiki.token },
      resourceTypes: user(SALES_ONLY, 'disable'),
    });
  });

  afterAll(async () => {
    await worker?.close();
    await Promise.all([api?.close(), everyone?.close(), crm?.close(), wiki?.close()]);
    await env?.close();
  });

  const at = (server: ScimTestServer, userName: string) =>
    [...server.store.get('User')!.values()].filter((u) => u.userName === userName);
  const atWiki = (userName: string) => wiki.users().filter((u) => u.userName === userName);
  const hire = (userName: string, department: string) =>
    hr('POST', '/Users', {
      schemas: [USER_SCHEMA, ENTERPRISE_SCHEMA],
      userName,
      active: true,
      name: { givenName: userName.split('@')[0], familyName: 'Crew' },
      [ENTERPRISE_SCHEMA]: { department },
    }).then((r) => String(r.body.id));

  it('hire appears everywhere; a department move takes them out of the Sales apps per policy', async () => {
    const amy = 'amy@planetexpress.test';
    const id = await hire(amy, 'Sales');
    await eventually(
      async () => (at(everyone, amy).length && at(crm, amy).length && atWiki(amy).length ? true : undefined),
      30_000,
      'amy at all three targets',
    );
    expect(at(crm, amy)[0]![ENTERPRISE_SCHEMA]).toEqual({ department: 'Sales' });

    await hr('PATCH', `/Users/${id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', path: `${ENTERPRISE_SCHEMA}:department`, value: 'Marketing' }],
    });
    await eventually(
      async () =>
        at(crm, amy).length === 0 &&
        atWiki(amy)[0]?.active === false &&
        department(at(everyone, amy)[0]) === 'Marketing'
          ? true
          : undefined,
      30_000,
      'amy moved: deleted at the CRM, disabled at the wiki, updated everywhere else',
    );
    expect(at(everyone, amy)).toHaveLength(1);
    expect(at(everyone, amy)[0]!.active).toBe(true);
    expect(atWiki(amy)).toHaveLength(1);
    expect(crm.requests.some((r) => r.method === 'DELETE')).toBe(true);
  });

  it('termination disables everywhere at once, and the sweep deletes after the grace period', async () => {
    const bender = 'bender@planetexpress.test';
    const id = await hire(bender, 'Sales');
    await eventually(
      async () =>
        at(everyone, bender).length && at(crm, bender).length && atWiki(bender).length ? true : undefined,
      30_000,
      'bender at all three targets',
    );
    const fired = Date.now();
    await hr('DELETE', `/Users/${id}`);
    await eventually(
      async () =>
        at(everyone, bender)[0]?.active === false &&
        at(crm, bender)[0]?.active === false &&
        atWiki(bender)[0]?.active === false
          ? true
          : undefined,
      30_000,
      'bender suspended at all three targets',
    );
    // "At once": each target got its disabling request within a couple of seconds of the others.
    const firstAfter = (requests: { method: string; at: number }[]) =>
      Math.min(...requests.filter((r) => r.at >= fired && r.method !== 'GET').map((r) => r.at));
    const times = [firstAfter(everyone.requests), firstAfter(crm.requests), firstAfter(wiki.requests)];
    expect(Math.max(...times) - Math.min(...times)).toBeLessThan(2_000);
    expect(Math.max(...times) - fired).toBeLessThan(5_000);

    // Within grace the record is only suspended: the sweep deletes nothing yet.
    const sweep = worker.get(EngineSweepService);
    expect((await sweep.deleteDue()).valueOf()).toBe(0);
    expect(at(everyone, bender)).toHaveLength(1);
    await new Promise((r) => setTimeout(r, Math.max(0, fired + GRACE_MS + 200 - Date.now())));
    // The scheduled sweep runs every minute; run it now rather than wait for the schedule.
    expect(await sweep.deleteDue()).toBe(1);
    await eventually(
      async () => (at(everyone, bender).length === 0 && at(crm, bender).length === 0 ? true : undefined),
      30_000,
      'bender deleted where the policy deletes',
    );
    // The wiki's policy is disable: the account stays, disabled.
    expect(atWiki(bender)).toHaveLength(1);
    expect(atWiki(bender)[0]!.active).toBe(false);
  });
});

function department(user: Record<string, unknown> | undefined): unknown {
  return (user?.[ENTERPRISE_SCHEMA] as { department?: string } | undefined)?.department;
}
