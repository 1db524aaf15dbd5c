import type { INestApplicationContext } from '@nestjs/common';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { createWorkerApp } from '../../apps/worker/src/create-worker-app';
import {
  OutboxRepository,
  TargetLinkRepository,
  TargetRepository,
  asTenantId,
  type TenantId,
} from '../../libs/persistence/src';
import { PushService, PushStepService } from '../../libs/push/src';
import { createTestEnv, startApi, type RunningApi, type TestEnv } from '../harness/hub-fixture';
import { eventually } from '../harness/processes';
import {
  PATCH_OP,
  USER_SCHEMA,
  addTarget,
  caller,
  inboundScimSource,
  strictCaller,
  type Call,
} from '../harness/push-fixture';
import { startRecordingProxy, type RecordingProxy } from '../harness/recording-proxy';
import { startScimTestServer, type ScimTestServer } from '../harness/scim-test-server';
import { selfSignedCertificate } from '../harness/self-signed';

const USERS_ONLY = (deprovision = 'disable', scope?: string) => ({
  User: {
    enabled: true,
    matchAttribute: 'userName',
    mapping: { mode: 'identity' },
    deprovision,
    ...(scope ? { scope: { filter: scope } } : {}),
  },
});

/**
 * The push pipeline's recovery paths (issue 6, ADR 0601/0602), each asserted at the target:
 * an object deleted behind the hub's back is created again; a run of transient failures
 * quarantines the target and its probe resumes it; held deprovisioning can be discarded; jobs
 * lost with Redis are found again from Postgres; `tls.rejectUnauthorized: false` reaches the client.
 */
describe('Active Push recovery', () => {
  let env: TestEnv;
  let api: RunningApi;
  let worker: INestApplicationContext | undefined;
  let tenantId: TenantId;
  let scim: Call;
  let admin: Call;
  const servers: ScimTestServer[] = [];
  const proxies: RecordingProxy[] = [];

  const startWorker = async () => {
    worker = await createWorkerApp(env.config, { shutdownHooks: false });
    const step = worker.get(PushStepService);
    step.tuning = {
      ...step.tuning,
      retryBaseMs: 100,
      quarantineAfter: 3,
      probe: { baseMs: 300, capMs: 1000 },
    };
  };

  beforeAll(async () => {
    env = await createTestEnv({
      SECRETS_KEY: randomBytes(32).toString('base64'),
      WORKER_QUEUES: 'system,events,push',
      DATABASE_POOL_SIZE: '8',
    });
    api = await startApi(env.config);
    await startWorker();
    const t = await env.createTenant();
    tenantId = asTenantId(t.tenant.id);
    admin = caller(api.baseUrl, t.adminToken);
    scim = strictCaller(`${api.baseUrl}/scim/v2`, (await inboundScimSource(api, tenantId)).token);
  });

  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await Promise.all([...servers.map((s) => s.close()), ...proxies.map((p) => p.close())]);
    await env?.close();
  });

  const target = async (name: string, extra: Record<string, unknown> = {}, baseUrl?: string) => {
    const server = await startScimTestServer({ token: `tok-${name}` });
    servers.push(server);
    const id = await addTarget(admin, {
      name,
      baseUrl: baseUrl ?? server.baseUrl,
      auth: { kind: 'bearer' },
      secrets: { token: `tok-${name}` },
      resourceTypes: USERS_ONLY(),
      rateLimit: 200,
      concurrency: 4,
      ...extra,
    });
    return { server, id };
  };
  const userAt = (server: ScimTestServer, userName: string) =>
    [...server.store.get('User')!.values()].filter((u) => u.userName === userName);
  const hire = async (userName: string, title = 'Crew') =>
    String((await scim('POST', '/Users', { schemas: [USER_SCHEMA], userName, title })).body.id);
  const retitle = (id: string, title: string) =>
    scim('PATCH', `/Users/${id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', path: 'title', value: title }],
    });

  it('creates an object again when the target lost it (404 on the next change)', async () => {
    const { server, id: targetId } = await target('forgetful');
    const id = await hire('zoidberg');
    const first = await eventually(async () => userAt(server, 'zoidberg')[0], 20_000, 'zoidberg pushed');
    server.store.get('User')!.delete(String(first.id)); // gone behind the hub's back
    await retitle(id, 'Doctor');
    const again = await eventually(
      async () =>
        userAt(server, 'zoidberg')[0]?.title === 'Doctor' ? userAt(server, 'zoidberg')[0] : undefined,
      20_000,
      'zoidberg recreated',
    );
    expect(again.id).not.toBe(first.id);
    expect(server.requests.some((r) => r.method === 'PATCH' && r.status === 404)).toBe(true);
    const link = await worker!.get(TargetLinkRepository).get(tenantId, targetId, id);
    expect(link?.remoteId).toBe(again.id);
    expect(link?.status).toBe('synced');
  });

  it('quarantines a target after transient failures in a row, probes it and catches up', async () => {
    const { server, id: targetId } = await target('flaky');
    server.failNext({ count: 6, status: 500 });
    await hire('hermes');
    await eventually(
      async () =>
        (await worker!.get(TargetRepository).get(tenantId, targetId))?.state === 'quarantined'
          ? true
          : undefined,
      20_000,
      'quarantine',
    );
    const user = await eventually(async () => userAt(server, 'hermes')[0], 30_000, 'hermes after recovery');
    expect(user.title).toBe('Crew');
    const t = await worker!.get(TargetRepository).get(tenantId, targetId);
    expect(t?.state).toBe('active');
    expect(server.requests.filter((r) => r.status === 500)).toHaveLength(6);
  });

  it('a success ends the failure streak: failures apart from each other never quarantine', async () => {
    // quarantineAfter is 3: two failures, a success, two failures must leave the target active.
    const { server, id: targetId } = await target('sometimes');
    server.failNext({ count: 2, status: 500 });
    await hire('amy');
    await eventually(async () => userAt(server, 'amy')[0], 20_000, 'amy after two failures');
    server.failNext({ count: 2, status: 500 });
    await hire('leela');
    await eventually(async () => userAt(server, 'leela')[0], 20_000, 'leela after two more');
    expect(server.requests.filter((r) => r.status === 500)).toHaveLength(4);
    expect((await worker!.get(TargetRepository).get(tenantId, targetId))?.state).toBe('active');
    // Never quarantined meanwhile: a quarantined target is probed (a listing of one) before it resumes.
    const probes = server.requests.filter(
      (r) => r.method === 'GET' && r.query.count === '1' && !r.query.filter,
    );
    expect(probes).toEqual([]);
  });

  it('discarding held deprovisioning keeps the accounts and resumes the target', async () => {
    const { server, id: targetId } = await target('guarded', {
      resourceTypes: USERS_ONLY('delete', 'title ne "gone"'),
      deletionThreshold: { share: 0.01, windowMinutes: 60, minimum: 1 },
    });
    const names = ['kif', 'nibbler', 'scruffy'];
    const ids = [];
    for (const n of names) ids.push(await hire(n));
    await eventually(
      async () => (names.every((n) => userAt(server, n).length) ? true : undefined),
      20_000,
      'three',
    );
    for (const id of ids) await retitle(id, 'gone');
    await eventually(
      async () =>
        (await worker!.get(TargetLinkRepository).withStatus(tenantId, targetId, 'held')).length === 2
          ? true
          : undefined,
      20_000,
      'two held',
    );
    expect(await worker!.get(PushService).discardHeld(tenantId, targetId)).toBe(2);
    expect((await worker!.get(TargetRepository).get(tenantId, targetId))?.state).toBe('active');
    // The catch-up must not push the discarded deletions again.
    await new Promise((r) => setTimeout(r, 4_000));
    expect(names.filter((n) => userAt(server, n).length)).toHaveLength(2);
    const links = await Promise.all(
      ids.map((id) => worker!.get(TargetLinkRepository).get(tenantId, targetId, id)),
    );
    expect(links.filter((l) => l?.status === 'held')).toHaveLength(0);
  });

  it('finds changes again whose jobs Redis lost (relayed, then the data set was emptied)', async () => {
    const { server } = await target('after-loss');
    // A new target is levelled with the records that exist (they reach it without a change).
    await eventually(async () => (userAt(server, 'zoidberg').length ? true : undefined), 30_000, 'backfill');
    await worker!.close();
    worker = undefined;
    const id = await hire('lrrr', 'Ruler');
    // The relay moved the change to Redis (here: marked it relayed) and then Redis lost it all.
    const relayed = await api.app
      .get(OutboxRepository, { strict: false })
      .relayBatch(1000, async () => undefined);
    expect(relayed).toBeGreaterThan(0);
    const redis = new Redis(env.config.redis.url);
    const keys = await redis.keys(`${env.config.redis.queuePrefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
    await startWorker();
    const user = await eventually(async () => userAt(server, 'lrrr')[0], 30_000, 'lrrr after the loss');
    expect(user.externalId).toBe(id);
  });

  it('passes tls.rejectUnauthorized to the client: false accepts a self-signed target, default refuses', async () => {
    const cert = selfSignedCertificate();
    const lab = await startScimTestServer({ token: 'tok-lab' });
    const strict = await startScimTestServer({ token: 'tok-strict' });
    servers.push(lab, strict);
    const labProxy = await startRecordingProxy(lab.baseUrl, { tls: cert });
    const strictProxy = await startRecordingProxy(strict.baseUrl, { tls: cert });
    proxies.push(labProxy, strictProxy);
    const make = (name: string, baseUrl: string, tls: Record<string, unknown>) =>
      admin('POST', '/admin/v1/targets', {
        name,
        baseUrl,
        auth: { kind: 'bearer' },
        secrets: { token: `tok-${name}` },
        resourceTypes: USERS_ONLY(),
        tls,
        rateLimit: 200,
        concurrency: 2,
      }).then((r) => {
        expect(r.status).toBe(201);
        return String(r.body.id);
      });
    await make('lab', labProxy.baseUrl, { rejectUnauthorized: false });
    const strictId = await make('strict', strictProxy.baseUrl, {});
    const id = await hire('morbo');
    await eventually(
      async () => (userAt(lab, 'morbo').length ? true : undefined),
      20_000,
      'morbo at the lab target',
    );
    const link = await eventually(
      async () => {
        const l = await worker!.get(TargetLinkRepository).get(tenantId, strictId, id);
        return l?.lastError ? l : undefined;
      },
      20_000,
      'strict target refused',
    );
    expect(link.lastError).toMatch(/certificate|tls|self.signed/i);
    expect(userAt(strict, 'morbo')).toHaveLength(0);
  });
});
