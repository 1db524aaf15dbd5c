import type { INestApplicationContext } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { createWorkerApp } from '../../apps/worker/src/create-worker-app';
import { issueApiToken } from '../../libs/auth/src';
import {
  ApiClientRepository,
  PushLogRepository,
  SourceRepository,
  TargetLinkRepository,
  TargetRepository,
  asTenantId,
  targetSecretsBinding,
  type TenantId,
} from '../../libs/persistence/src';
import {
  PushService,
  PushStepService,
  coreCapabilities,
  identityUsers,
  identityUsersAndGroups,
  pushJobId,
} from '../../libs/push/src';
import { JobQueue, QueueName } from '../../libs/queue/src';
import { SecretBox } from '../../libs/secrets/src';
import { json } from '../harness/json';
import { createTestEnv, startApi, type RunningApi, type TestEnv } from '../harness/hub-fixture';
import { eventually } from '../harness/processes';
import { startScimTestServer, type ScimTestServer } from '../harness/scim-test-server';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/**
 * The push pipeline end to end inside one test process: the real API takes inbound SCIM writes,
 * the real worker (outbox relay, fan-out, push jobs on Redis) pushes them to in-memory SCIM
 * servers on loopback, and the assertions look at what those servers hold and received.
 */
describe('Active Push pipeline', () => {
  let env: TestEnv;
  let api: RunningApi;
  let worker: INestApplicationContext;
  let tenantId: TenantId;
  let token = '';
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
    step.tuning = {
      ...step.tuning,
      retryBaseMs: 100,
      quarantineAfter: 3,
      probe: { baseMs: 200, capMs: 1000 },
    };
    const t = await env.createTenant();
    tenantId = asTenantId(t.tenant.id);
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
    token = issued.token;
  });

  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await Promise.all(servers.map((s) => s.close()));
    await env?.close();
  });

  const scim = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${api.baseUrl}/scim/v2${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/scim+json' } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const parsed = res.status === 204 ? undefined : ((await json(res)) as Record<string, unknown>);
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(parsed)}`);
    return parsed!;
  };

  const newTarget = async (
    name: string,
    resourceTypes: Record<string, unknown>,
    extra: {
      capabilities?: Record<string, unknown>;
      rateLimit?: number;
      concurrency?: number;
      deletionThreshold?: unknown;
    } = {},
  ) => {
    const server = await startScimTestServer({ token: `tok-${name}` });
    servers.push(server);
    const box = api.app.get(SecretBox);
    const target = await api.app.get(TargetRepository).create(
      tenantId,
      {
        name,
        baseUrl: server.baseUrl,
        auth: { kind: 'bearer' },
        resourceTypes,
        capabilities: extra.capabilities ?? coreCapabilities({ groups: true, etag: true }),
        rateLimit: extra.rateLimit ?? 200,
        concurrency: extra.concurrency ?? 4,
        ...(extra.deletionThreshold ? { deletionThreshold: extra.deletionThreshold as never } : {}),
      },
      (id) => box.seal({ token: `tok-${name}` }, targetSecretsBinding(tenantId, id)),
    );
    return { server, target };
  };

  const userAt = (server: ScimTestServer, userName: string) =>
    [...server.store.get('User')!.values()].find((u) => u.userName === userName);
  const link = (targetId: string, resourceId: string) =>
    worker.get(TargetLinkRepository).get(tenantId, targetId, resourceId);

  it('creates after a match lookup, adopts an existing account, and PATCHes only what changed', async () => {
    const { server, target } = await newTarget('apps-a', identityUsers());
    const seeded = server.seed('User', { schemas: [USER], userName: 'leela', title: 'old' });

    const fry = await scim('POST', '/Users', {
      schemas: [USER],
      userName: 'fry',
      name: { givenName: 'Philip' },
      password: 's3cret-Pass',
    });
    const leela = await scim('POST', '/Users', { schemas: [USER], userName: 'leela', title: 'Captain' });

    const atTarget = await eventually(async () => userAt(server, 'fry'), 20_000, 'fry at the target');
    expect(atTarget.externalId).toBe(fry.id);
    expect(atTarget.password).toBeUndefined();
    const matchFirst = server.requests.filter(
      (r) => r.path.endsWith('/Users/.search') || (r.method === 'GET' && r.query.filter),
    );
    expect(matchFirst.length).toBeGreaterThan(0);

    // leela already existed at the target: adopted (no second account), her title brought up to date.
    await eventually(
      async () => (userAt(server, 'leela')?.title === 'Captain' ? true : undefined),
      20_000,
      'leela adopted',
    );
    expect([...server.store.get('User')!.values()].filter((u) => u.userName === 'leela')).toHaveLength(1);
    const leelaLink = await eventually(
      async () => {
        const l = await link(target.id, String(leela.id));
        return l?.status === 'synced' ? l : undefined;
      },
      10_000,
      'leela linked',
    );
    expect(leelaLink.remoteId).toBe(seeded.id);

    // A change goes out as a minimal PATCH.
    const before = server.requests.length;
    await scim('PATCH', `/Users/${String(fry.id)}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', path: 'title', value: 'Delivery boy' }],
    });
    await eventually(
      async () => (userAt(server, 'fry')?.title === 'Delivery boy' ? true : undefined),
      20_000,
      'title',
    );
    const patches = server.requests.slice(before).filter((r) => r.method === 'PATCH');
    expect(patches).toHaveLength(1);
    expect((patches[0]!.body as { Operations: unknown[] }).Operations).toEqual([
      { op: 'replace', path: 'title', value: 'Delivery boy' },
    ]);
    const log = await eventually(
      async () => {
        const entries = await worker
          .get(PushLogRepository)
          .search(tenantId, { targetId: target.id, resourceId: String(fry.id) });
        return entries.length >= 3 ? entries : undefined;
      },
      10_000,
      'log entries',
    );
    expect(log.map((e) => e.action)).toEqual(['patch', 'create', 'match']);
  });

  it('falls back to PUT when the target has no PATCH, and honours Retry-After on 429', async () => {
    const { server } = await newTarget('apps-put', identityUsers(), {
      capabilities: { patch: false, filter: true, etag: false, resourceTypes: {}, schemas: [] },
    });
    server.failNext({ count: 1, status: 429, retryAfter: '1', match: { method: 'POST', path: /\/Users$/ } });
    const started = Date.now();
    const bender = await scim('POST', '/Users', {
      schemas: [USER],
      userName: 'bender',
      title: 'Bending unit',
    });
    await eventually(async () => userAt(server, 'bender'), 20_000, 'bender after the 429');
    const posts = server.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/Users'));
    expect(posts.map((p) => p.status)).toEqual([429, 201]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    await scim('PATCH', `/Users/${String(bender.id)}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', path: 'title', value: 'Robot' }],
    });
    await eventually(
      async () => (userAt(server, 'bender')?.title === 'Robot' ? true : undefined),
      20_000,
      'PUT',
    );
    expect(server.requests.some((r) => r.method === 'PUT')).toBe(true);
    expect(server.requests.some((r) => r.method === 'PATCH')).toBe(false);
  });

  it('pushes groups after their members, adds and removes members in batches with value filters', async () => {
    const { server } = await newTarget('apps-groups', identityUsersAndGroups({ memberBatchSize: 2 }));
    const users = [];
    for (const n of ['amy', 'hermes', 'zoidberg', 'nibbler', 'kif'])
      users.push(await scim('POST', '/Users', { schemas: [USER], userName: n }));
    const crew = await scim('POST', '/Groups', {
      schemas: [GROUP],
      displayName: 'crew',
      members: users.map((u) => ({ value: u.id })),
    });
    const remoteGroup = await eventually(
      async () => {
        const g = [...server.store.get('Group')!.values()].find((x) => x.displayName === 'crew');
        return g && Array.isArray(g.members) && g.members.length === 5 ? g : undefined;
      },
      30_000,
      'crew with five members',
    );
    const remoteUserIds = users.map((u) => userAt(server, String(u.userName))!.id);
    expect((remoteGroup.members as Array<{ value: string }>).map((m) => m.value).sort()).toEqual(
      [...remoteUserIds].sort(),
    );
    const memberPatches = server.requests.filter((r) => r.method === 'PATCH' && r.path.includes('/Groups/'));
    for (const p of memberPatches) {
      const ops = (p.body as { Operations: Array<{ value?: unknown[] }> }).Operations;
      expect(ops.reduce((n, o) => n + (Array.isArray(o.value) ? o.value.length : 1), 0)).toBeLessThanOrEqual(
        2,
      );
    }

    const before = server.requests.length;
    await scim('PATCH', `/Groups/${String(crew.id)}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'remove', path: `members[value eq "${String(users[0]!.id)}"]` }],
    });
    await eventually(
      async () => {
        const g = server.store.get('Group')!.get(String(remoteGroup.id));
        return g && (g.members as unknown[]).length === 4 ? true : undefined;
      },
      20_000,
      'amy removed',
    );
    const removal = server.requests
      .slice(before)
      .find((r) => r.method === 'PATCH' && r.path.includes('/Groups/'));
    expect((removal!.body as { Operations: unknown[] }).Operations).toEqual([
      { op: 'remove', path: `members[value eq "${remoteUserIds[0]}"]` },
    ]);
  });

  it('adds a member whose account appears while its group is being created at the target', async () => {
    const { server, target } = await newTarget('apps-late-member', identityUsersAndGroups());
    const cubert = await scim('POST', '/Users', { schemas: [USER], userName: 'cubert' });
    await eventually(async () => userAt(server, 'cubert'), 20_000, 'cubert at the target');
    // Elzar's account is on its way (its create waits at the target) when the group is pushed.
    const elzarCreate = server.holdNext({ method: 'POST', path: /\/Users$/ });
    const elzar = await scim('POST', '/Users', { schemas: [USER], userName: 'elzar' });
    await elzarCreate.arrived;
    // The group is created and its first member PATCH (Cubert only: Elzar has no account yet)
    // waits at the target: the group's link has no remote id recorded yet.
    const groupPatch = server.holdNext({ method: 'PATCH', path: /\/Groups\// });
    await scim('POST', '/Groups', {
      schemas: [GROUP],
      displayName: 'kitchen',
      members: [{ value: cubert.id }, { value: elzar.id }],
    });
    await groupPatch.arrived;
    // Elzar's push finishes while the group's push is still in flight.
    elzarCreate.release();
    const jobs = worker.get(JobQueue).queue(QueueName.Push);
    await eventually(
      async () =>
        (await link(target.id, String(elzar.id)))?.status === 'synced' &&
        (await jobs.getJobState(pushJobId(target.id, String(elzar.id)))) === 'unknown'
          ? true
          : undefined,
      20_000,
      "elzar's push done",
    );
    groupPatch.release();
    const members = () =>
      (
        ([...server.store.get('Group')!.values()].find((g) => g.displayName === 'kitchen')?.members ??
          []) as Array<{ value: string }>
      )
        .map((m) => m.value)
        .sort();
    const want = [String(userAt(server, 'cubert')!.id), String(userAt(server, 'elzar')!.id)].sort();
    await eventually(
      async () => (JSON.stringify(members()) === JSON.stringify(want) ? true : undefined),
      20_000,
      'kitchen with cubert and elzar',
    );
  });

  it('never has more requests in flight at a target than its concurrency', async () => {
    const names = Array.from({ length: 16 }, (_, i) => `narrow${i}`);
    for (const userName of names) await scim('POST', '/Users', { schemas: [USER], userName });
    // A new target with two slots and slow answers: levelling queues every user at once, for
    // two worker replicas (the slots are shared through Redis).
    const { server } = await newTarget('apps-narrow', identityUsers(), { rateLimit: 1000, concurrency: 2 });
    server.setLatency(40);
    // A second worker replica: each process' HTTP pool alone would allow two each.
    const replica = await createWorkerApp(env.config, { shutdownHooks: false });
    try {
      await worker.get(PushService).closeGaps();
      await eventually(
        async () => (names.every((n) => userAt(server, n)) ? true : undefined),
        30_000,
        'every user at the narrow target',
      );
    } finally {
      await replica.close();
    }
    expect(server.peakInFlight()).toBe(2);
  });

  it('deletes a group whose deletion arrives while a member hand-off is pushing it', async () => {
    const { server, target } = await newTarget('apps-late-delete', identityUsersAndGroups());
    // Levelled now, not by a later catch-up (its sweep for lost deletions would hide a lost one),
    // and the tenant's earlier records pushed, so the requests held below are this test's own.
    await worker.get(PushService).closeGaps();
    await eventually(
      async () =>
        (
          await env.prisma.rawQuery(
            `SELECT 1 FROM target_links WHERE target_id = $1::uuid AND pushed_version IS DISTINCT FROM desired_version`,
            [target.id],
          )
        ).length === 0 || undefined,
      30_000,
      "the tenant's records at the new target",
    );
    const mom = await scim('POST', '/Users', { schemas: [USER], userName: 'mom' });
    await eventually(async () => userAt(server, 'mom'), 20_000, 'mom at the target');
    // Walt's account is on its way when the group is pushed: the group goes out with Mom.
    const waltCreate = server.holdNext({ method: 'POST', path: /\/Users$/ });
    const walt = await scim('POST', '/Users', { schemas: [USER], userName: 'walt' });
    await waltCreate.arrived;
    const group = await scim('POST', '/Groups', {
      schemas: [GROUP],
      displayName: 'bureaucrats',
      members: [{ value: mom.id }, { value: walt.id }],
    });
    const groupId = String(group.id);
    const remoteGroupId = await eventually(
      async () => {
        const l = await link(target.id, groupId);
        return l?.status === 'synced' ? l.remoteId! : undefined;
      },
      20_000,
      'bureaucrats at the target',
    );
    // Walt's account lands; his push hands the group the new member, and that PATCH waits.
    const memberPatch = server.holdNext({ method: 'PATCH', path: new RegExp(`/Groups/${remoteGroupId}$`) });
    waltCreate.release();
    await memberPatch.arrived;
    // The group is deleted while that push is in flight; its fan-out lands before the push ends.
    const before = (await link(target.id, groupId))!.updatedAt.getTime();
    await scim('DELETE', `/Groups/${groupId}`);
    await eventually(
      async () => ((await link(target.id, groupId))!.updatedAt.getTime() > before ? true : undefined),
      20_000,
      "the deletion's fan-out",
    );
    memberPatch.release();
    await eventually(
      async () =>
        [...server.store.get('Group')!.values()].some((g) => g.displayName === 'bureaucrats')
          ? undefined
          : true,
      20_000,
      'bureaucrats deleted at the target',
    );
  });

  it('moves a group member re-created at the target from its old remote id to its new one', async () => {
    const { server } = await newTarget('apps-recreated', identityUsersAndGroups());
    const lrrr = await scim('POST', '/Users', { schemas: [USER], userName: 'lrrr' });
    const ndnd = await scim('POST', '/Users', { schemas: [USER], userName: 'ndnd' });
    await scim('POST', '/Groups', {
      schemas: [GROUP],
      displayName: 'omicronians',
      members: [{ value: lrrr.id }, { value: ndnd.id }],
    });
    const group = () => [...server.store.get('Group')!.values()].find((g) => g.displayName === 'omicronians');
    const memberIds = () => ((group()?.members ?? []) as Array<{ value: string }>).map((m) => m.value).sort();
    await eventually(async () => (memberIds().length === 2 ? true : undefined), 30_000, 'both members');
    const oldId = String(userAt(server, 'lrrr')!.id);

    // Someone deletes Lrrr at the target behind the hub's back; the target's group keeps the old id.
    server.store.get('User')!.delete(oldId);
    await scim('PATCH', `/Users/${String(lrrr.id)}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', path: 'title', value: 'Ruler of Omicron Persei 8' }],
    });
    const newId = await eventually(
      async () => {
        const u = userAt(server, 'lrrr');
        return u && u.id !== oldId ? String(u.id) : undefined;
      },
      20_000,
      'lrrr created again',
    );
    const ndndId = String(userAt(server, 'ndnd')!.id);
    await eventually(
      async () => (JSON.stringify(memberIds()) === JSON.stringify([ndndId, newId].sort()) ? true : undefined),
      20_000,
      `group members ${JSON.stringify([ndndId, newId])}, not the old id ${oldId}`,
    );
  });

  it('quarantines a target that answers 401, resumes it after a good probe and catches up', async () => {
    const { server, target } = await newTarget('apps-auth', identityUsers());
    server.setOptions({ token: 'rotated' });
    const scruffy = await scim('POST', '/Users', { schemas: [USER], userName: 'scruffy' });
    const quarantined = await eventually(
      async () => {
        const t = await worker.get(TargetRepository).get(tenantId, target.id);
        return t?.state === 'quarantined' ? t : undefined;
      },
      20_000,
      'quarantine',
    );
    expect(quarantined.stateReason).toMatch(/401/);
    server.setOptions({ token: 'tok-apps-auth' });
    await eventually(async () => userAt(server, 'scruffy'), 30_000, 'scruffy after recovery');
    const t = await worker.get(TargetRepository).get(tenantId, target.id);
    expect(t?.state).toBe('active');
    // The target holds the user as soon as it answers the POST; the hub records the link after.
    await eventually(
      async () => ((await link(target.id, String(scruffy.id)))?.status === 'synced' ? true : undefined),
      10_000,
      'scruffy linked as synced',
    );
  });

  it('parks a link the target rejects, and retry() sends it again', async () => {
    const { server, target } = await newTarget('apps-park', identityUsers());
    server.failNext({ count: 1, status: 400, match: { method: 'POST' } });
    const calculon = await scim('POST', '/Users', { schemas: [USER], userName: 'calculon' });
    const parked = await eventually(
      async () => {
        const l = await link(target.id, String(calculon.id));
        return l?.status === 'failed' ? l : undefined;
      },
      20_000,
      'parked link',
    );
    expect(parked.lastError).toMatch(/400/);
    expect(userAt(server, 'calculon')).toBeUndefined();
    expect(await worker.get(PushService).retry(tenantId, target.id)).toBe(1);
    await eventually(async () => userAt(server, 'calculon'), 20_000, 'calculon after retry');
  });

  it('holds deprovisioning beyond the deletion threshold until an admin confirms', async () => {
    const { server, target } = await newTarget(
      'apps-threshold',
      {
        User: {
          enabled: true,
          matchAttribute: 'userName',
          mapping: { mode: 'identity' },
          scope: { filter: 'title ne "gone"' },
          deprovision: 'delete',
        },
      },
      { deletionThreshold: { share: 0.01, windowMinutes: 60, minimum: 1 } },
    );
    const names = ['t1', 't2', 't3'];
    const made = [];
    for (const n of names)
      made.push(await scim('POST', '/Users', { schemas: [USER], userName: n, title: 'here' }));
    await eventually(
      async () => (names.every((n) => userAt(server, n)) ? true : undefined),
      20_000,
      'three users',
    );
    for (const u of made)
      await scim('PATCH', `/Users/${String(u.id)}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'replace', path: 'title', value: 'gone' }],
      });
    const held = await eventually(
      async () => {
        const t = await worker.get(TargetRepository).get(tenantId, target.id);
        const links = await worker.get(TargetLinkRepository).withStatus(tenantId, target.id, 'held');
        return t?.state === 'held' && links.length === 2 ? t : undefined;
      },
      20_000,
      'held target',
    );
    expect(held.stateReason).toMatch(/deletion threshold/);
    expect(names.filter((n) => userAt(server, n))).toHaveLength(2);
    expect(await worker.get(PushService).confirmHeld(tenantId, target.id)).toBe(2);
    await eventually(
      async () => (names.every((n) => !userAt(server, n)) ? true : undefined),
      20_000,
      'all deleted',
    );
  });

  it('provision on demand returns each step', async () => {
    const { server, target } = await newTarget('apps-pod', {
      User: {
        enabled: true,
        matchAttribute: 'userName',
        mapping: { mode: 'identity' },
        scope: { filter: 'title eq "x"' },
        deprovision: 'leave',
      },
    });
    const hubOnly = await scim('POST', '/Users', { schemas: [USER], userName: 'morbo', title: 'y' });
    const res = await worker.get(PushService).pushNow(tenantId, target.id, String(hubOnly.id));
    expect(res.steps.find((s) => s.step === 'scope')?.detail).toMatchObject({ inScope: false });
    expect(userAt(server, 'morbo')).toBeUndefined();
  });
});
