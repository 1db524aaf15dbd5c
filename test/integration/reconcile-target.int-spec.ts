import type { INestApplicationContext } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { createWorkerApp } from '../../apps/worker/src/create-worker-app';
import { issueApiToken } from '../../libs/auth/src';
import {
  ApiClientRepository,
  PushGoldenRepository,
  ReconcileStoreRepository,
  SourceRepository,
  TargetLinkRepository,
  TargetRepository,
  asTenantId,
  targetSecretsBinding,
  type TenantId,
} from '../../libs/persistence/src';
import { PushStepService, TargetContexts, coreCapabilities, identityUsers } from '../../libs/push/src';
import { LinkTally } from '../../libs/reconcile/src';
import type { JsonObject } from '../../libs/scim/src';
import { SecretBox } from '../../libs/secrets/src';
import { json } from '../harness/json';
import { createTestEnv, startApi, type RunningApi, type TestEnv } from '../harness/hub-fixture';
import { eventually } from '../harness/processes';
import {
  startScimTestServer,
  type ScimTestServer,
  type ScimTestServerOptions,
} from '../harness/scim-test-server';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';

/**
 * Reconciliation against in-memory SCIM servers on loopback, through the real API (admin and
 * SCIM) and the real worker (outbox relay, push jobs, reconcile jobs on Redis): objects edited,
 * deleted and created at the target behind the hub's back are classified; a dry run changes
 * nothing there; the default policy brings the target back to the hub's view; attributes a mail
 * service mints come back to the golden record and reach the other targets.
 */
describe('reconciliation of targets', () => {
  let env: TestEnv;
  let api: RunningApi;
  let worker: INestApplicationContext;
  let tenantId: TenantId;
  let scimToken = '';
  let adminToken = '';
  const servers: ScimTestServer[] = [];

  beforeAll(async () => {
    env = await createTestEnv({
      SECRETS_KEY: randomBytes(32).toString('base64'),
      DATABASE_POOL_SIZE: '8',
      WORKER_CONCURRENCY: '8',
    });
    api = await startApi(env.config);
    worker = await createWorkerApp(env.config, { shutdownHooks: false });
    const step = worker.get(PushStepService);
    step.tuning = { ...step.tuning, retryBaseMs: 100 };
    const t = await env.createTenant();
    tenantId = asTenantId(t.tenant.id);
    adminToken = t.adminToken;
    const source = await api.app.get(SourceRepository).create(tenantId, {
      name: 'hr',
      kind: 'scim_inbound',
      roles: { '*': { create: true, update: true } },
      config: {},
      enabled: true,
    });
    const issued = issueApiToken(randomUUID());
    await api.app.get(ApiClientRepository).create(tenantId, {
      id: issued.clientId,
      name: 'hr',
      scopes: ['scim:read', 'scim:write'],
      secretHash: issued.secretHash,
      sourceId: source.id,
    });
    scimToken = issued.token;
  });

  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await Promise.all(servers.map((s) => s.close()));
    await env?.close();
  });

  const call = async (token: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${api.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are asserted by shape
    const parsed = res.status === 204 ? undefined : ((await json(res)) as Record<string, any>);
    return { status: res.status, body: parsed! };
  };
  const scim = async (method: string, path: string, body?: unknown) => {
    const r = await call(scimToken, method, `/scim/v2${path}`, body);
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const admin = (method: string, path: string, body?: unknown) => call(adminToken, method, path, body);

  /**
   * A new target also receives the users earlier tests made (the catch-up levels it every few
   * seconds): waits until it holds every user and all its links are pushed, so a reconciliation
   * sees a settled target; returns how many users it holds.
   */
  const settled = async (server: ScimTestServer, targetId: string): Promise<number> => {
    const total = Number((await scim('GET', '/Users?count=0')).totalResults);
    await eventually(
      async () => {
        if (server.store.get('User')!.size !== total) return undefined;
        const [open] = await env.prisma.rawQuery<{ n: number }>(
          `SELECT count(*)::int AS n FROM target_links WHERE target_id = $1::uuid
             AND (status <> 'synced' OR pushed_version IS DISTINCT FROM desired_version)`,
          [targetId],
        );
        return open?.n === 0 ? true : undefined;
      },
      30_000,
      `all ${total} users at the target`,
    );
    return total;
  };

  const newTarget = async (
    name: string,
    options: ScimTestServerOptions = {},
    extra: { enabled?: boolean; reconcile?: unknown; concurrency?: number } = {},
  ) => {
    const server = await startScimTestServer({ token: `tok-${name}`, ...options });
    servers.push(server);
    const box = api.app.get(SecretBox);
    const target = await api.app.get(TargetRepository).create(
      tenantId,
      {
        name,
        baseUrl: server.baseUrl,
        auth: { kind: 'bearer' },
        resourceTypes: identityUsers(extra.reconcile ? { reconcile: extra.reconcile } : {}),
        capabilities: coreCapabilities({ groups: true, etag: true }),
        rateLimit: 200,
        concurrency: extra.concurrency ?? 4,
        ...(extra.enabled === false ? { enabled: false } : {}),
      },
      (id) => box.seal({ token: `tok-${name}` }, targetSecretsBinding(tenantId, id)),
    );
    return { server, target };
  };

  const at = (server: ScimTestServer, userName: string) =>
    [...server.store.get('User')!.values()].find(
      (u) => String(u.userName).toLowerCase() === userName.toLowerCase(),
    );
  const runToEnd = async (runId: string) =>
    eventually(
      async () => {
        const r = await admin('GET', `/admin/v1/reconciliations/${runId}`);
        return r.body.status === 'done' || r.body.status === 'failed' ? r.body : undefined;
      },
      20_000,
      'reconciliation run to end',
    );
  const snapshot = (server: ScimTestServer) =>
    JSON.stringify(
      [...server.store.get('User')!.values()].sort((a, b) => String(a.id).localeCompare(String(b.id))),
    );

  /** The type's representation stamp as the hub computes it now (null: never current). */
  const stampOf = async (targetId: string) =>
    (await (await worker.get(TargetContexts).get(tenantId, targetId, true))!.type('User'))!.stamp;

  it('classifies drift, missing, unlinked and orphan objects; dry run changes nothing; the default policy restores the hub view', async () => {
    const { server, target } = await newTarget('app-a');
    const links = worker.get(TargetLinkRepository);
    // Leela's provisioning was refused, and an admin of the app created her account by hand.
    server.failNext({ count: 1, status: 400, match: { method: 'POST', path: /\/Users$/ } });
    const leela = await scim('POST', '/Users', { schemas: [USER], userName: 'leela', title: 'Captain' });
    await eventually(async () =>
      (await links.get(tenantId, target.id, leela.id as string))?.status === 'failed' ? true : undefined,
    );
    server.seed('User', {
      schemas: [USER],
      userName: 'Leela',
      title: 'local admin',
      nickName: 'target-only',
    });

    const fry = await scim('POST', '/Users', { schemas: [USER], userName: 'fry', title: 'Delivery boy' });
    const bender = await scim('POST', '/Users', {
      schemas: [USER],
      userName: 'bender',
      title: 'Bending unit',
    });
    await scim('POST', '/Users', { schemas: [USER], userName: 'amy', title: 'Intern' });
    await eventually(async () => {
      const ls = await Promise.all([fry, bender].map((u) => links.get(tenantId, target.id, u.id as string)));
      return ls.every((l) => l?.status === 'synced') && at(server, 'amy') ? true : undefined;
    });

    // Behind the hub's back: an edit, a deletion, a local account.
    const fryAt = at(server, 'fry')!;
    server.store.get('User')!.set(fryAt.id as string, { ...fryAt, title: 'Edited in the app' });
    server.store.get('User')!.delete(at(server, 'bender')!.id as string);
    server.seed('User', { schemas: [USER], userName: 'zoidberg' });

    // Dry run: the report, and nothing written at the target.
    server.setLatency(40); // keeps the run open long enough to see the second request refused
    const before = snapshot(server);
    const mark = server.requests.length;
    const dry = await admin('POST', `/admin/v1/targets/${target.id}/reconciliations`, {
      resourceType: 'User',
      dryRun: true,
    });
    expect(dry.status).toBe(202);
    const second = await admin('POST', `/admin/v1/targets/${target.id}/reconciliations`, {
      resourceType: 'User',
    });
    expect(second.status).toBe(409);
    expect(second.body.error.details).toEqual({ openRunId: dry.body.id });
    const dryDone = await runToEnd(dry.body.id);
    server.setLatency(0);
    expect(dryDone).toMatchObject({
      status: 'done',
      dryRun: true,
      progress: { seen: 4 },
      counts: { in_sync: 1, drifted: 1, missing: 1, unlinked_match: 1, orphan: 1 },
      actions: {
        push: { planned: 1, ok: 0 },
        recreate: { planned: 1 },
        adopt: { planned: 1 },
      },
    });
    const drifted = dryDone.samples.find((s: { class: string }) => s.class === 'drifted');
    expect(drifted).toMatchObject({
      resourceId: fry.id,
      label: 'fry',
      differences: [{ path: 'title', hub: 'Delivery boy', remote: 'Edited in the app' }],
      outcome: 'planned',
    });
    expect(dryDone.samples.find((s: { class: string }) => s.class === 'orphan')).toMatchObject({
      label: 'zoidberg',
      outcome: 'reported',
    });
    expect(server.requests.slice(mark).filter((r) => r.method !== 'GET')).toEqual([]);
    expect(snapshot(server)).toBe(before);

    // The real run, default policy: push the drift back, recreate, adopt, report the orphan.
    const real = await admin('POST', `/admin/v1/targets/${target.id}/reconciliations`, {
      resourceType: 'User',
    });
    expect(real.status).toBe(202);
    const done = await runToEnd(real.body.id);
    expect(done).toMatchObject({
      status: 'done',
      counts: { in_sync: 1, drifted: 1, missing: 1, unlinked_match: 1, orphan: 1 },
      actions: { push: { ok: 1 }, recreate: { ok: 1 }, adopt: { ok: 1 } },
    });
    await eventually(async () => {
      const f = at(server, 'fry');
      const b = at(server, 'bender');
      const l = at(server, 'leela');
      return f?.title === 'Delivery boy' && b?.title === 'Bending unit' && l?.title === 'Captain'
        ? true
        : undefined;
    });
    // Adopted, not duplicated; the app's own attribute left alone.
    expect(
      [...server.store.get('User')!.values()].filter((u) => String(u.userName).toLowerCase() === 'leela'),
    ).toHaveLength(1);
    expect(at(server, 'leela')).toMatchObject({ externalId: leela.id, nickName: 'target-only' });
    expect(at(server, 'zoidberg')).toBeDefined();
    await eventually(async () => {
      const l = await links.get(tenantId, target.id, leela.id as string);
      return l?.status === 'synced' && l.remoteId === at(server, 'leela')!.id ? true : undefined;
    });

    // Equal to the hub's view now: another run finds everything in sync but the reported orphan.
    const again = await admin('POST', `/admin/v1/targets/${target.id}/reconciliations`, {
      resourceType: 'User',
    });
    expect(await runToEnd(again.body.id)).toMatchObject({
      status: 'done',
      counts: { in_sync: 4, orphan: 1 },
    });
    const list = await admin('GET', `/admin/v1/reconciliations?targetId=${target.id}`);
    expect(list.body.items.map((r: { id: string }) => r.id)).toEqual([
      again.body.id,
      real.body.id,
      dry.body.id,
    ]);
  });

  it('a read that saw every link skips the walk for missing objects: Postgres tallies the links as the run does', async () => {
    const { server, target } = await newTarget('app-tally');
    const total = await settled(server, target.id);
    // What a run's pages return for the target's objects, tallied as the run does.
    const store = worker.get(ReconcileStoreRepository);
    const later = new Date(Date.now() + 60_000);
    const remoteIds = [...server.store.get('User')!.keys()];
    const stamp = await stampOf(target.id);
    const seen = new LinkTally();
    const hits = [
      ...(await store.linkedWithGolden(tenantId, target.id, 'User', remoteIds, later, stamp)).values(),
    ];
    for (const hit of hits) if (hit.walkHash !== null) seen.add(hit.walkHash);
    expect(seen.count).toBe(total);
    // Every link was pushed under the type's configuration now: its pushed state stands for the
    // record's representation, and the record is not read.
    expect(hits.every((h) => h.current && h.golden === null && h.link.pushedState !== null)).toBe(true);
    expect(await store.activeLinksTally(target.id, 'User', later)).toEqual({
      count: seen.count,
      sum: seen.sum,
    });
    // Links pushed after the run started are not walked: a run that started an hour ago tallies none.
    const earlier = new Date(Date.now() - 3_600_000);
    const none = await store.linkedWithGolden(
      tenantId,
      target.id,
      'User',
      remoteIds,
      earlier,
      'another stamp',
    );
    // Under another configuration no link is current: each comes with its record.
    expect([...none.values()].every((h) => !h.current && h.golden !== null)).toBe(true);
    expect([...none.values()].every((h) => h.walkHash === null)).toBe(true);
    expect(await store.activeLinksTally(target.id, 'User', earlier)).toEqual({ count: 0, sum: 0 });
    // A run over the settled target: all in sync, nothing missing; one deleted behind the hub's
    // back is missing again (the tallies differ, the walk finds it).
    const first = await admin('POST', `/admin/v1/targets/${target.id}/reconciliations`, {
      resourceType: 'User',
    });
    const done = await runToEnd(first.body.id);
    expect(done).toMatchObject({ status: 'done', counts: { in_sync: total } });
    expect(done.counts.missing).toBeUndefined();
    const gone = [...server.store.get('User')!.values()][0]!;
    server.store.get('User')!.delete(gone.id as string);
    const second = await admin('POST', `/admin/v1/targets/${target.id}/reconciliations`, {
      resourceType: 'User',
      dryRun: true,
    });
    expect(await runToEnd(second.body.id)).toMatchObject({
      status: 'done',
      counts: { in_sync: total - 1, missing: 1 },
    });
  });

  it('after a mapping change the objects are compared with what the hub would push now, not with what it pushed', async () => {
    const { server, target } = await newTarget('app-remap');
    const total = await settled(server, target.id);
    const before = await stampOf(target.id);
    expect(before).not.toBeNull();
    // The app now gets a nickName made from the userName, and no longer the rest of the record.
    await api.app.get(TargetRepository).update(tenantId, target.id, {
      resourceTypes: identityUsers({
        mapping: {
          mode: 'explicit',
          attributes: [
            { target: 'userName', source: 'userName' },
            { target: 'nickName', source: 'userName' },
          ],
        },
      }),
    });
    expect(await stampOf(target.id)).not.toBe(before);
    const dry = await admin('POST', `/admin/v1/targets/${target.id}/reconciliations`, {
      resourceType: 'User',
      dryRun: true,
    });
    const done = await runToEnd(dry.body.id);
    // Every object still holds exactly what was pushed, and none is in sync with the new mapping.
    expect(done).toMatchObject({ status: 'done', counts: { drifted: total } });
    const sample = done.samples.find((s: { class: string }) => s.class === 'drifted');
    expect(sample.differences).toContainEqual({
      path: 'nickName',
      hub: sample.label,
      remote: null,
    });
    // An expression makes the representation more than the record: no stamp, the record is read.
    await api.app.get(TargetRepository).update(tenantId, target.id, {
      resourceTypes: identityUsers({
        mapping: { mode: 'explicit', attributes: [{ target: 'nickName', expression: 'userName & "!"' }] },
      }),
    });
    expect(await stampOf(target.id)).toBeNull();
  });

  it('links pushed before stamps existed become current once a run finds them holding what was pushed', async () => {
    const { server, target } = await newTarget('app-restamp');
    const total = await settled(server, target.id);
    const store = worker.get(ReconcileStoreRepository);
    const stamp = await stampOf(target.id);
    const remoteIds = [...server.store.get('User')!.keys()];
    const currentCount = async () =>
      [
        ...(await store.linkedWithGolden(tenantId, target.id, 'User', remoteIds, new Date(), stamp)).values(),
      ].filter((h) => h.current).length;
    // As an older hub left them: no stamp; and one link whose pushed hash is not the hash of
    // what the hub would push now (its pushed state proves nothing about the record).
    const odd = remoteIds[0]!;
    await env.prisma.rawQuery(
      `UPDATE target_links SET pushed_stamp = NULL,
         pushed_hash = CASE WHEN remote_id = $2 THEN 'another hash' ELSE pushed_hash END
       WHERE target_id = $1::uuid`,
      [target.id, odd],
    );
    expect(await currentCount()).toBe(0);
    const reconcile = async (dryRun: boolean) =>
      runToEnd(
        (
          await admin('POST', `/admin/v1/targets/${target.id}/reconciliations`, {
            resourceType: 'User',
            dryRun,
          })
        ).body.id,
      );
    // A dry run writes nothing, stamps included.
    expect(await reconcile(true)).toMatchObject({ status: 'done', counts: { in_sync: total } });
    expect(await currentCount()).toBe(0);
    expect(await reconcile(false)).toMatchObject({ status: 'done', counts: { in_sync: total } });
    expect(await currentCount()).toBe(total - 1);
    const [oddLink] = await env.prisma.rawQuery<{ pushed_stamp: string | null }>(
      `SELECT pushed_stamp FROM target_links WHERE target_id = $1::uuid AND remote_id = $2`,
      [target.id, odd],
    );
    expect(oddLink!.pushed_stamp).toBeNull();
    // And the next run compares them by what was pushed, with the same verdict.
    expect(await reconcile(true)).toMatchObject({ status: 'done', counts: { in_sync: total } });
  });

  it('a policy that deletes orphans removes them; settings are validated and stored on the target', async () => {
    const { server, target } = await newTarget('app-b');
    await scim('POST', '/Users', { schemas: [USER], userName: 'hermes' });
    await eventually(async () => (at(server, 'hermes') ? true : undefined));
    const total = await settled(server, target.id);
    server.seed('User', { schemas: [USER], userName: 'robot-devil' });

    const bad = await admin('PUT', `/admin/v1/targets/${target.id}/reconciliation-settings/User`, {
      policy: { orphan: 'burn' },
      schedule: 'not cron',
    });
    expect(bad.status).toBe(400);
    const saved = await admin('PUT', `/admin/v1/targets/${target.id}/reconciliation-settings/User`, {
      policy: { orphan: 'delete' },
    });
    expect(saved.status).toBe(200);
    expect(saved.body.policy).toMatchObject({ orphan: 'delete', drifted: 'remediate' });
    // Replacing the type's push configuration keeps its reconciliation settings.
    const replaced = await admin('PATCH', `/admin/v1/targets/${target.id}`, {
      resourceTypes: { User: { matchAttribute: 'userName', deprovision: 'disable' } },
    });
    expect(replaced.status).toBe(200);
    const kept = await admin('GET', `/admin/v1/targets/${target.id}/reconciliation-settings/User`);
    expect(kept.body.policy).toMatchObject({ orphan: 'delete' });

    const run = await admin('POST', `/admin/v1/targets/${target.id}/reconciliations`, {
      resourceType: 'User',
    });
    expect(await runToEnd(run.body.id)).toMatchObject({
      status: 'done',
      counts: { in_sync: total, orphan: 1 },
      actions: { delete: { ok: 1 } },
    });
    expect(at(server, 'robot-devil')).toBeUndefined();
    expect(at(server, 'hermes')).toBeDefined();

    // A schedule (every second, for the test) opens runs by itself; removing it stops them.
    const scheduled = await admin('PUT', `/admin/v1/targets/${target.id}/reconciliation-settings/User`, {
      schedule: '* * * * * *',
      policy: { orphan: 'delete' },
    });
    expect(scheduled.status).toBe(200);
    const byScheduler = await eventually(async () => {
      const list = await admin('GET', `/admin/v1/reconciliations?targetId=${target.id}`);
      const run = (list.body.items as Array<{ id: string; trigger: string; status: string }>).find(
        (r) => r.trigger === 'schedule' && r.status === 'done',
      );
      return run;
    });
    expect(byScheduler).toMatchObject({ trigger: 'schedule', status: 'done' });
    const off = await admin('PUT', `/admin/v1/targets/${target.id}/reconciliation-settings/User`, {
      policy: { orphan: 'delete' },
    });
    expect(off.body.schedule).toBeUndefined();
  });

  it('reads page after page through a single concurrency slot and still deletes orphans between pages', async () => {
    // One slot: the read hands it back after each page, and the deletions of orphans found on a
    // page take it in turn; pages of 2 make the read, its read-ahead and the deletions interleave.
    const { server, target } = await newTarget(
      'app-one-slot',
      { maxPageSize: 2 },
      { concurrency: 1, reconcile: { policy: { orphan: 'delete' } } },
    );
    await scim('POST', '/Users', { schemas: [USER], userName: 'lrrr' });
    const total = await settled(server, target.id);
    for (let i = 0; i < 5; i++) server.seed('User', { schemas: [USER], userName: `clamp-${i}` });
    const objects = total + 5;

    const run = await admin('POST', `/admin/v1/targets/${target.id}/reconciliations`, {
      resourceType: 'User',
    });
    expect(await runToEnd(run.body.id)).toMatchObject({
      status: 'done',
      progress: { pages: Math.ceil(objects / 2), seen: objects },
      counts: { in_sync: total, orphan: 5 },
      actions: { delete: { ok: 5, failed: 0 } },
    });
    expect(server.store.get('User')!.size).toBe(total);
    expect(at(server, 'lrrr')).toBeDefined();
  });

  it('pushes back the drift of a page together; an object whose push holds its lock is skipped, not overwritten', async () => {
    const { server, target } = await newTarget('app-drift-batch');
    const crew: Array<Record<string, unknown>> = [];
    for (const userName of ['hattie', 'sal', 'petunia'])
      crew.push(await scim('POST', '/Users', { schemas: [USER], userName, title: 'Tenant' }));
    const total = await settled(server, target.id);
    for (const u of crew) {
      const remote = at(server, String(u.userName))!;
      server.store.get('User')!.set(String(remote.id), { ...remote, title: 'Edited in the app' });
    }
    // A push of Sal is in flight: its per-object lock is held (on another session) for the run.
    const pushOfSal = new pg.Client({ connectionString: env.config.database.url });
    await pushOfSal.connect();
    try {
      await pushOfSal.query('SELECT pg_advisory_lock(hashtext($1), hashtext($2))', [
        target.id,
        String(crew[1]!.id),
      ]);
      const run = await admin('POST', `/admin/v1/targets/${target.id}/reconciliations`, {
        resourceType: 'User',
      });
      const done = await runToEnd(run.body.id);
      expect(done).toMatchObject({
        status: 'done',
        counts: { in_sync: total - 3, drifted: 3 },
        actions: { push: { ok: 2, skipped: 1, failed: 0 } },
      });
      expect(done.samples.find((s: { resourceId: string }) => s.resourceId === crew[1]!.id)).toMatchObject({
        class: 'drifted',
        outcome: 'skipped: a push of this object is in flight',
      });
      await eventually(async () =>
        at(server, 'hattie')?.title === 'Tenant' && at(server, 'petunia')?.title === 'Tenant'
          ? true
          : undefined,
      );
      expect(at(server, 'sal')?.title).toBe('Edited in the app');
    } finally {
      await pushOfSal.end();
    }
    // The lock gone, the next run pushes Sal back.
    const again = await admin('POST', `/admin/v1/targets/${target.id}/reconciliations`, {
      resourceType: 'User',
    });
    expect(await runToEnd(again.body.id)).toMatchObject({
      status: 'done',
      counts: { drifted: 1 },
      actions: { push: { ok: 1 } },
    });
    await eventually(async () => (at(server, 'sal')?.title === 'Tenant' ? true : undefined));
  });

  it('a mail service that mints the work email: the value reaches the golden record and the other targets', async () => {
    const mint = (type: string, resource: JsonObject, previous: JsonObject | undefined): JsonObject => {
      if (type !== 'User') return resource;
      const emails = (Array.isArray(resource.emails) ? resource.emails : []) as JsonObject[];
      if (emails.some((e) => e.type === 'work')) return resource;
      const kept = ((previous?.emails as JsonObject[] | undefined) ?? []).find((e) => e.type === 'work');
      const work = kept ?? { type: 'work', value: `${String(resource.userName)}@mail.example` };
      return { ...resource, emails: [...emails, work] };
    };
    const { server: mail, target: mailTarget } = await newTarget('mail', { mint });
    const { server: other } = await newTarget('wiki');
    const mailSource = await api.app.get(SourceRepository).create(tenantId, {
      name: 'mail-service',
      kind: 'target',
      roles: {},
      config: { targetId: mailTarget.id },
      enabled: true,
    });
    const rules = await admin('PUT', '/admin/v1/engine/rules/User', {
      authority: {
        rules: [{ path: 'emails[type eq "work"]', policy: 'priority', sources: [mailSource.id] }],
        defaultRule: { policy: 'priority', sources: ['*'] },
      },
    });
    expect(rules.status).toBe(200);

    const kif = await scim('POST', '/Users', {
      schemas: [USER],
      userName: 'kif',
      emails: [{ type: 'home', value: 'kif@home.example' }],
    });
    const workOf = (u: JsonObject | undefined) =>
      ((u?.emails as JsonObject[] | undefined) ?? []).find((e) => e.type === 'work')?.value;
    // After the push answer: the golden record, then the other target.
    await eventually(async () => {
      const g = await scim('GET', `/Users/${kif.id as string}`);
      return workOf(g) === 'kif@mail.example' ? true : undefined;
    });
    await eventually(async () => (workOf(at(other, 'kif')) === 'kif@mail.example' ? true : undefined));
    expect(workOf(at(mail, 'kif'))).toBe('kif@mail.example');

    const total = await settled(mail, mailTarget.id);
    // Every push of the record to the mail service done (else a late one would overwrite the edit below).
    await eventually(async () => {
      const g = await worker.get(PushGoldenRepository).get(tenantId, kif.id as string);
      const l = await worker.get(TargetLinkRepository).get(tenantId, mailTarget.id, kif.id as string);
      return g && l?.status === 'synced' && l.pushedVersion === g.version ? true : undefined;
    });
    // The mail service changes the address by itself: a reconciliation brings it back as its contribution.
    const kifAtMail = at(mail, 'kif')!;
    mail.store.get('User')!.set(kifAtMail.id as string, {
      ...kifAtMail,
      emails: [
        { type: 'home', value: 'kif@home.example' },
        { type: 'work', value: 'kif.kroker@mail.example' },
      ],
    });
    const run = await admin('POST', `/admin/v1/targets/${mailTarget.id}/reconciliations`, {
      resourceType: 'User',
    });
    const done = await runToEnd(run.body.id);
    expect(done).toMatchObject({
      status: 'done',
      counts: { in_sync: total, owned_changed: 1 },
      actions: { absorb: { ok: 1 } },
    });
    await eventually(async () => {
      const g = await scim('GET', `/Users/${kif.id as string}`);
      return workOf(g) === 'kif.kroker@mail.example' ? true : undefined;
    });
    await eventually(async () => (workOf(at(other, 'kif')) === 'kif.kroker@mail.example' ? true : undefined));
  });
});
