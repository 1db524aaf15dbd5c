import type { INestApplicationContext } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { createWorkerApp } from '../../apps/worker/src/create-worker-app';
import {
  PushGoldenRepository,
  SourceRepository,
  TargetLinkRepository,
  asTenantId,
} from '../../libs/persistence/src';
import { createTestEnv, startApi, type RunningApi, type TestEnv } from '../harness/hub-fixture';
import { eventually } from '../harness/processes';
import {
  USER_SCHEMA,
  addTarget,
  caller,
  inboundScimSource,
  listAll,
  strictCaller,
  type Call,
  type Loose,
} from '../harness/push-fixture';
import { startScimTestServer, type ScimTestServer } from '../harness/scim-test-server';
import { startThirdPartyScimServer, type ThirdPartyScimServer } from '../harness/third-party-scim-server';

/**
 * Issue 7's reconciliation scenario end to end: the hub (real API and worker over Postgres and
 * Redis) provisions users to a SCIM server built on a third-party library (SCIMMY) and to a mail
 * service that mints each user's work email. Behind the hub's back, someone edits, deletes and
 * creates accounts in the SCIMMY app through its own SCIM API. A dry run reports every case and
 * leaves the app untouched; a run under the default policy brings the app back to the hub's view
 * (the local account reported, not touched). The mail service's address reaches the golden record
 * and the SCIMMY app.
 */
describe('reconciliation against real SCIM servers', () => {
  let env: TestEnv;
  let api: RunningApi;
  let worker: INestApplicationContext;
  let library: ThirdPartyScimServer;
  let mail: ScimTestServer;
  let admin: Call;
  let scim: Call;
  let app: Call;
  let libraryId = '';
  let mailId = '';
  let tenant = '';

  beforeAll(async () => {
    env = await createTestEnv({
      SECRETS_KEY: randomBytes(32).toString('base64'),
      DATABASE_POOL_SIZE: '8',
      WORKER_CONCURRENCY: '8',
    });
    [api, library, mail] = await Promise.all([
      startApi(env.config),
      startThirdPartyScimServer(),
      startScimTestServer({
        token: 'mail-token',
        mint: (type, resource, previous) => {
          if (type !== 'User') return resource;
          const emails = (Array.isArray(resource.emails) ? resource.emails : []) as Loose[];
          if (emails.some((e) => e.type === 'work')) return resource;
          const kept = ((previous?.emails as Loose[] | undefined) ?? []).find((e) => e.type === 'work');
          return {
            ...resource,
            emails: [
              ...emails,
              kept ?? { type: 'work', value: `${String(resource.userName)}@planetexpress.mail` },
            ],
          };
        },
      }),
    ]);
    worker = await createWorkerApp(env.config, { shutdownHooks: false });
    const t = await env.createTenant();
    tenant = t.tenant.id;
    admin = caller(api.baseUrl, t.adminToken);
    scim = strictCaller(`${api.baseUrl}/scim/v2`, (await inboundScimSource(api, tenant)).token);
    app = strictCaller(library.baseUrl, library.token);
    const users = {
      enabled: true,
      matchAttribute: 'userName',
      mapping: { mode: 'identity' },
      deprovision: 'delete',
    };
    libraryId = await addTarget(admin, {
      name: 'scimmy',
      baseUrl: library.baseUrl,
      auth: { kind: 'bearer' },
      secrets: { token: library.token },
      resourceTypes: { User: users },
      rateLimit: 50,
      concurrency: 4,
    });
    mailId = await addTarget(admin, {
      name: 'mail',
      baseUrl: mail.baseUrl,
      auth: { kind: 'bearer' },
      secrets: { token: 'mail-token' },
      resourceTypes: { User: users },
      rateLimit: 50,
      concurrency: 4,
    });
    // The mail service is the authority for work emails: a source of kind `target` tied to it.
    const mailSource = await api.app.get(SourceRepository).create(asTenantId(tenant), {
      name: 'mail-service',
      kind: 'target',
      roles: {},
      config: { targetId: mailId },
      enabled: true,
    });
    const rules = await admin('PUT', '/admin/v1/engine/rules/User', {
      authority: {
        rules: [{ path: 'emails[type eq "work"]', policy: 'priority', sources: [mailSource.id] }],
        defaultRule: { policy: 'priority', sources: ['*'] },
      },
    });
    expect(rules.status).toBe(200);
  });

  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await library?.close();
    await mail?.close();
    await env?.close();
  });

  const runToEnd = async (targetId: string, body: Record<string, unknown>) => {
    const started = await admin('POST', `/admin/v1/targets/${targetId}/reconciliations`, body);
    expect(started.status).toBe(202);
    return eventually(
      async () => {
        const r = await admin('GET', `/admin/v1/reconciliations/${started.body.id}`);
        return ['done', 'failed'].includes(r.body.status) ? r.body : undefined;
      },
      30_000,
      'reconciliation',
    );
  };
  const inApp = async () => new Map((await listAll(app, '/Users')).map((u) => [String(u.userName), u]));
  const workOf = (u: Loose) =>
    ((u?.emails as Loose[] | undefined) ?? []).find((e) => e.type === 'work')?.value;
  /** What the hub says each user should look like in the app (the attributes it manages). */
  const hubView = async () =>
    new Map(
      ((await scim('GET', '/Users?count=100')).body.Resources as Loose[]).map((u) => [
        String(u.userName),
        { title: u.title ?? null, work: workOf(u) ?? null },
      ]),
    );

  it('classifies what changed behind the hub, leaves the app untouched on a dry run, and restores it', async () => {
    const crew = [
      ['fry', 'Delivery boy'],
      ['leela', 'Captain'],
      ['bender', 'Bending unit'],
      ['amy', 'Intern'],
    ];
    for (const [userName, title] of crew)
      await scim('POST', '/Users', { schemas: [USER_SCHEMA], userName, title });
    // Provisioned everywhere, with the mail service's address back in the hub and on to SCIMMY.
    await eventually(async () => {
      const users = await inApp();
      return crew.every(([name]) => workOf(users.get(name!)) === `${name}@planetexpress.mail`)
        ? true
        : undefined;
    }, 30_000);

    // Behind the hub's back, through the app's own SCIM API.
    const before = await inApp();
    await app('PATCH', `/Users/${String(before.get('fry')!.id)}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', path: 'title', value: 'Edited in SCIMMY' }],
    });
    await app('DELETE', `/Users/${String(before.get('bender')!.id)}`);
    await app('POST', '/Users', { schemas: [USER_SCHEMA], userName: 'zoidberg', title: 'Staff doctor' });
    const tampered = JSON.stringify([...(await inApp()).entries()]);

    const dry = await runToEnd(libraryId, { resourceType: 'User', dryRun: true });
    expect(dry).toMatchObject({
      status: 'done',
      counts: { in_sync: 2, drifted: 1, missing: 1, orphan: 1 },
      actions: { push: { planned: 1 }, recreate: { planned: 1 } },
    });
    expect(dry.samples.find((s: Loose) => s.class === 'drifted')).toMatchObject({
      label: 'fry',
      differences: [{ path: 'title', hub: 'Delivery boy', remote: 'Edited in SCIMMY' }],
    });
    expect(JSON.stringify([...(await inApp()).entries()])).toBe(tampered);

    const real = await runToEnd(libraryId, { resourceType: 'User' });
    expect(real).toMatchObject({
      status: 'done',
      counts: { in_sync: 2, drifted: 1, missing: 1, orphan: 1 },
      actions: { push: { ok: 1 }, recreate: { ok: 1 } },
    });
    // The app ends equal to the hub's view (plus the local account, reported only).
    await eventually(async () => {
      const users = await inApp();
      const hub = await hubView();
      const same = [...hub].every(
        ([name, v]) => users.get(name)?.title === v.title && (workOf(users.get(name)) ?? null) === v.work,
      );
      return same && users.size === hub.size + 1 && users.has('zoidberg') ? true : undefined;
    }, 30_000);
    const after = await runToEnd(libraryId, { resourceType: 'User' });
    expect(after.counts).toEqual({ in_sync: 4, orphan: 1 });
  });

  it("the mail service's own change of address reaches the golden record and the other app", async () => {
    const hermes = await scim('POST', '/Users', { schemas: [USER_SCHEMA], userName: 'hermes' });
    await eventually(async () => (workOf((await inApp()).get('hermes')) ? true : undefined), 30_000);
    // Every push of the record to the mail service done (a late one would overwrite the edit below).
    const tenantId = asTenantId(tenant);
    await eventually(async () => {
      const g = await worker.get(PushGoldenRepository).get(tenantId, String(hermes.body.id));
      const l = await worker.get(TargetLinkRepository).get(tenantId, mailId, String(hermes.body.id));
      return g && l?.status === 'synced' && l.pushedVersion === g.version ? true : undefined;
    });
    const atMail = [...mail.store.get('User')!.values()].find((u) => u.userName === 'hermes')!;
    mail.store.get('User')!.set(String(atMail.id), {
      ...atMail,
      emails: [{ type: 'work', value: 'hermes.conrad@planetexpress.mail' }],
    });
    const run = await runToEnd(mailId, { resourceType: 'User' });
    expect(run).toMatchObject({
      status: 'done',
      counts: { owned_changed: 1 },
      actions: { absorb: { ok: 1 } },
    });
    await eventually(async () => {
      const g = (await scim('GET', `/Users/${String(hermes.body.id)}`)).body;
      return workOf(g) === 'hermes.conrad@planetexpress.mail' ? true : undefined;
    });
    await eventually(
      async () =>
        workOf((await inApp()).get('hermes')) === 'hermes.conrad@planetexpress.mail' ? true : undefined,
      30_000,
    );
  });
});
