import type { INestApplicationContext } from '@nestjs/common';
import { Queue } from 'bullmq';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { freePort } from '@hub/embedded';
import { ENTERPRISE_USER_URN } from '@hub/scim';
import { STATISTICS_AFTER_CHANGES, SyncRunner } from '@hub/sync';
import { QueueName, redisConnectionOptions } from '../../libs/queue/src';
import { createWorkerApp } from '../../apps/worker/src/create-worker-app';
import { json } from '../harness/json';
import { createTestEnv, startApi, type RunningApi, type TestEnv } from '../harness/hub-fixture';
import { eventually } from '../harness/processes';
import { PLANET_EXPRESS, startSlapd, type RunningSlapd } from '../harness/slapd';
import { startScimTestServer, type ScimTestServer } from '../harness/scim-test-server';
import { startRestFixtureServer, type RestFixtureServer } from '../fixtures/rest/rest-fixture-server';

const PEOPLE = PLANET_EXPRESS.peopleDn;

/** A golden User as stored (loosely typed: assertions say what matters). */
type Person = { userName: string; title?: string } & Record<string, Record<string, unknown> | undefined>;
const ALL_ROLES = { User: { create: true, update: true }, Group: { create: true, update: true } };
const PLANET_EXPRESS_PEOPLE = ['amy', 'bender', 'fry', 'hermes', 'leela', 'professor', 'zoidberg'];

function ldapConfig(url: string, overrides: Record<string, unknown> = {}) {
  return {
    url,
    bindDn: PLANET_EXPRESS.readerDn,
    pageSize: 3,
    deltaOverlapMs: 0,
    users: {
      baseDns: [PEOPLE],
      filter: '(objectClass=inetOrgPerson)',
      externalIdAttribute: 'uid',
      mapping: {
        rules: [
          { target: 'userName', source: 'uid' },
          { target: 'name.givenName', source: 'givenName' },
          { target: 'name.familyName', source: 'sn' },
          { target: 'displayName', source: 'displayName' },
          { target: 'emails[type eq "work"].value', source: 'mail', transform: 'lower', primary: true },
          { target: 'title', source: 'employeeType', transform: 'join(", ")' },
          { target: `${ENTERPRISE_USER_URN}:department`, source: 'ou' },
        ],
      },
    },
    groups: {
      baseDns: [PEOPLE],
      filter: '(objectClass=Group)',
      mapping: { rules: [{ target: 'displayName', source: 'cn' }] },
    },
    ...overrides,
  };
}

/**
 * Source sync runs end to end inside the hub: the real API (admin endpoints) and the real worker
 * (BullMQ sync queue) against a real slapd, the REST fixture HR API and a SCIM server on loopback.
 */
describe('source sync runs', () => {
  let env: TestEnv;
  let api: RunningApi;
  let worker: INestApplicationContext;
  let slapd: RunningSlapd;
  let token: string;
  let tenantId: string;

  beforeAll(async () => {
    env = await createTestEnv({ WORKER_QUEUES: 'sync', SECRETS_KEY: randomBytes(32).toString('base64') });
    [api, worker, slapd] = await Promise.all([
      startApi(env.config),
      createWorkerApp(env.config, { shutdownHooks: false }),
      startSlapd({ tls: true }),
    ]);
    const t = await env.createTenant('sync');
    token = t.adminToken;
    tenantId = t.tenant.id;
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await slapd?.stop();
    await env?.close();
  });

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${api.baseUrl}/admin/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: res.status === 204 ? undefined : await json(res) };
  };
  const createSource = async (body: Record<string, unknown>): Promise<string> => {
    const res = await call('POST', '/sources', { roles: ALL_ROLES, ...body });
    expect(res.status).toBe(201);
    return res.body.id;
  };
  const ldapSource = (name: string, overrides: Record<string, unknown> = {}, password?: string) =>
    createSource({
      name,
      kind: 'ldap',
      config: ldapConfig(slapd.url, overrides),
      secrets: { bindPassword: password ?? PLANET_EXPRESS.readerPassword },
    });
  /** Triggers a run through the admin API and waits until it leaves queued/running. */
  const runToEnd = async (sourceId: string, mode?: 'full' | 'delta') => {
    const started = await call('POST', `/sources/${sourceId}/runs`, mode ? { mode } : {});
    expect(started.status).toBe(202);
    return waitFor(sourceId, started.body.id);
  };
  const waitFor = (sourceId: string, runId: string) =>
    eventually(
      async () => {
        const { body } = await call('GET', `/sources/${sourceId}/runs/${runId}`);
        return ['queued', 'running'].includes(body.status) ? undefined : body;
      },
      30_000,
      `run ${runId}`,
    );
  const users = async (sourceId?: string) =>
    (
      await env.prisma.$queryRawUnsafe<Array<{ user_name: string; attributes: Record<string, unknown> }>>(
        `SELECT r.attributes ->> 'userName' AS user_name, r.attributes FROM resources r
         WHERE r.tenant_id = $1::uuid AND r.resource_type = 'User'
           AND ($2::uuid IS NULL OR EXISTS (SELECT 1 FROM contributions c WHERE c.resource_id = r.id AND c.source_id = $2::uuid AND c.deleted_at IS NULL))
         ORDER BY 1`,
        tenantId,
        sourceId ?? null,
      )
    ).map((r) => ({ ...r.attributes, userName: r.user_name }) as Person);
  const cursorOf = async (sourceId: string) =>
    (
      await env.prisma.$queryRawUnsafe<Array<{ cursor: unknown }>>(
        `SELECT cursor FROM sources WHERE id = $1::uuid`,
        sourceId,
      )
    )[0]!.cursor;

  describe('an LDAP directory', () => {
    let source: string;
    beforeAll(async () => (source = await ldapSource('Planet Express')));

    it('full sync: every person becomes a golden record, groups with members resolved to hub ids', async () => {
      // A bulk run refreshes the planner's statistics (the threshold lowered to this directory's size).
      const runner = worker.get(SyncRunner);
      runner.statisticsAfterChanges = 9;
      const analysed = async () =>
        (
          await env.prisma.$queryRawUnsafe<Array<{ at: Date | null }>>(
            `SELECT last_analyze AS at FROM pg_stat_user_tables WHERE relname = 'contributions'`,
          )
        )[0]!.at;
      expect(await analysed()).toBeNull();
      const run = await runToEnd(source, 'full').finally(() => {
        runner.statisticsAfterChanges = STATISTICS_AFTER_CHANGES;
      });
      expect(await analysed()).toBeInstanceOf(Date);
      expect(run).toMatchObject({
        status: 'done',
        mode: 'full',
        trigger: 'manual',
        error: null,
        progress: { created: 9, failed: 0, deleted: 0 },
      });
      expect(run.progress.seen).toBe(9);
      expect(run.progress.pages).toBeGreaterThan(2);
      const people = await users(source);
      expect(people.map((u) => u.userName)).toEqual(PLANET_EXPRESS_PEOPLE);
      const fry = people.find((u) => u.userName === 'fry')!;
      expect(fry).toMatchObject({
        name: { givenName: 'Philip', familyName: 'Fry' },
        title: 'Delivery boy',
        emails: [{ type: 'work', value: 'fry@planetexpress.com', primary: true }],
        [ENTERPRISE_USER_URN]: { department: 'Delivering Crew' },
      });
      const crew = await env.prisma.$queryRawUnsafe<Array<{ user_name: string }>>(
        `SELECT u.attributes ->> 'userName' AS user_name FROM group_members gm
         JOIN resources g ON g.id = gm.group_id JOIN resources u ON u.id = gm.member_id
         WHERE g.tenant_id = $1::uuid AND g.attributes ->> 'displayName' = 'ship_crew' ORDER BY 1`,
        tenantId,
      );
      expect(crew.map((c) => c.user_name)).toEqual(['bender', 'fry', 'leela']);
      expect(await cursorOf(source)).toMatchObject({ kind: 'ldap' });
      // Every run leaves an audit row with its counts.
      const audit = await env.prisma.$queryRawUnsafe<Array<{ detail: Record<string, unknown> }>>(
        `SELECT detail FROM audit_events WHERE tenant_id = $1::uuid AND action = 'sync.run.done' AND resource_id = $2`,
        tenantId,
        run.id,
      );
      expect(audit[0]!.detail).toMatchObject({ created: 9, mode: 'full', trigger: 'manual' });
      // A second full run changes nothing.
      expect((await runToEnd(source, 'full')).progress).toMatchObject({ seen: 9, unchanged: 9, created: 0 });
    });

    it('delta after modify, add and delete; the deletion is applied by the next full run', async () => {
      // modifyTimestamp has one-second resolution: let the previous run's second pass.
      await new Promise((r) => setTimeout(r, 1100));
      await slapd.modify(
        `dn: cn=Philip J. Fry,${PEOPLE}\nchangetype: modify\nreplace: employeeType\nemployeeType: Captain\n`,
      );
      await slapd.add(
        `dn: cn=Kif Kroker,${PEOPLE}\nobjectClass: inetOrgPerson\ncn: Kif Kroker\nsn: Kroker\ngivenName: Kif\nuid: kif\nmail: kif@planetexpress.com\n`,
      );
      await slapd.modify(`dn: cn=John A. Zoidberg,${PEOPLE}\nchangetype: delete\n`);
      const delta = await runToEnd(source);
      expect(delta).toMatchObject({ status: 'done', mode: 'delta', progress: { created: 1, deleted: 0 } });
      expect(delta.progress.updated).toBeGreaterThanOrEqual(1);
      let people = await users(source);
      expect(people.find((u) => u.userName === 'fry')!.title).toBe('Captain');
      expect(people.find((u) => u.userName === 'kif')).toBeDefined();
      expect(people.find((u) => u.userName === 'zoidberg')).toBeDefined(); // plain LDAP deltas cannot see deletions
      const full = await runToEnd(source, 'full');
      expect(full).toMatchObject({ status: 'done', progress: { deleted: 1, created: 0 } });
      people = await users(source);
      expect(people.map((u) => u.userName)).toEqual(
        ['kif', ...PLANET_EXPRESS_PEOPLE.filter((p) => p !== 'zoidberg')].sort(),
      );
    });

    it('a pull that finds nobody is held: no deprovisioning, no cursor; discard closes it, confirm applies it', async () => {
      const before = await users(source);
      const cursor = await cursorOf(source);
      const patched = await call('PATCH', `/sources/${source}`, {
        config: ldapConfig(slapd.url, {
          users: { ...ldapConfig(slapd.url).users, filter: '(&(objectClass=inetOrgPerson)(uid=nobody))' },
        }),
      });
      expect(patched.status).toBe(200);
      const held = await runToEnd(source, 'full');
      expect(held).toMatchObject({
        status: 'awaiting_confirmation',
        heldDeletions: {
          count: 7,
          threshold: 0.2,
          byType: { User: { live: 7, count: 7 } },
          keysTruncated: false,
        },
      });
      expect(held.heldDeletions.keys.User).toHaveLength(7);
      expect(held.heldDeletions.reasons[0]).toContain('found none of the 7');
      expect(await users(source)).toEqual(before);
      expect(await cursorOf(source)).toEqual(cursor);

      // One run at a time: a held run is still open.
      const second = await call('POST', `/sources/${source}/runs`, { mode: 'full' });
      expect(second.status).toBe(409);
      expect(second.body.error.details).toEqual({ openRunId: held.id });

      const discarded = await call('POST', `/sources/${source}/runs/${held.id}/discard`);
      expect(discarded).toMatchObject({ status: 200, body: { status: 'discarded' } });
      expect(await users(source)).toEqual(before);
      expect(await cursorOf(source)).toEqual(cursor);
      expect((await call('POST', `/sources/${source}/runs/${held.id}/confirm`)).status).toBe(409);

      const again = await runToEnd(source, 'full');
      expect(again.status).toBe('awaiting_confirmation');
      const confirmed = await call('POST', `/sources/${source}/runs/${again.id}/confirm`);
      expect(confirmed.status).toBe(202);
      const done = await waitFor(source, again.id);
      expect(done).toMatchObject({ status: 'done', progress: { deleted: 7 } });
      expect(await users(source)).toEqual([]);
      expect(await cursorOf(source)).not.toEqual(cursor);
    });

    it('a base DN that does not exist fails the run with a config error and deletes nothing', async () => {
      const other = await ldapSource('PE copy');
      expect((await runToEnd(other, 'full')).status).toBe('done');
      const count = (await users(other)).length;
      await call('PATCH', `/sources/${other}`, {
        config: ldapConfig(slapd.url, {
          users: { ...ldapConfig(slapd.url).users, baseDns: [`ou=nobody,${PLANET_EXPRESS.baseDn}`] },
        }),
      });
      const failed = await runToEnd(other, 'full');
      expect(failed.status).toBe('failed');
      expect(failed.error).toMatch(/^config: .*ou=nobody/);
      expect(await users(other)).toHaveLength(count);
    });
  });

  it('bad credentials and an untrusted certificate fail their runs with a clear error; another source still runs', async () => {
    const badPassword = await ldapSource('Wrong password', {}, 'not-the-password');
    const untrusted = await ldapSource('Untrusted CA', {
      url: slapd.tls!.ldapsUrl,
      tls: { caPem: slapd.tls!.otherCaPem },
    });
    const good = await ldapSource('Good one', { groups: undefined });
    const runs = await Promise.all([runToEnd(badPassword), runToEnd(untrusted), runToEnd(good)]);
    expect(runs[0]).toMatchObject({ status: 'failed', progress: { seen: 0 } });
    expect(runs[0].error).toMatch(/^auth: /);
    expect(runs[1].status).toBe('failed');
    expect(runs[1].error).toMatch(/^tls: /);
    expect(runs[2]).toMatchObject({ status: 'done', error: null });
    expect(runs[2].progress.seen).toBeGreaterThan(0);
    // The failed runs left no cursor, and no secret in what the API shows.
    expect(await cursorOf(badPassword)).toBeNull();
    expect(JSON.stringify(runs)).not.toContain('not-the-password');
  });

  describe('REST and upstream SCIM sources', () => {
    let hr: RestFixtureServer;
    let upstream: ScimTestServer;
    beforeAll(async () => {
      [hr, upstream] = await Promise.all([startRestFixtureServer(12), startScimTestServer({ token: 'up' })]);
    });
    afterAll(async () => {
      await hr?.close();
      await upstream?.close();
    });

    it('a REST HR API through a run: active employees in, terminated ones not', async () => {
      hr.setAuth({ type: 'bearer', token: 'hr-token' });
      const source = await createSource({
        name: 'HR',
        kind: 'rest',
        config: {
          baseUrl: hr.baseUrl,
          auth: { type: 'bearer' },
          resources: [
            {
              resourceType: 'User',
              path: '/api/page/employees',
              recordsPath: 'data',
              keyField: 'id',
              externalIdField: 'id',
              pagination: { style: 'page', pageSize: 5 },
              deletedWhen: { field: 'status', values: ['terminated'] },
              mapping: {
                rules: [
                  { target: 'userName', source: 'email', transform: 'lower' },
                  { target: `${ENTERPRISE_USER_URN}:employeeNumber`, source: 'id' },
                  { target: `${ENTERPRISE_USER_URN}:department`, source: 'department' },
                ],
              },
            },
          ],
        },
        secrets: { token: 'hr-token' },
      });
      const run = await runToEnd(source, 'full');
      expect(run).toMatchObject({ status: 'done', progress: { seen: 11, created: 11, pages: 3 } });
      const people = await users(source);
      expect(people).toHaveLength(11);
      expect(people.find((u) => u[ENTERPRISE_USER_URN]?.employeeNumber === 'E007')).toBeUndefined();
    });

    it('an upstream SCIM server through a run, group members resolved', async () => {
      const ids = ['hubert', 'cubert', 'dwight'].map(
        (name) =>
          upstream.seed('User', {
            schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
            userName: name,
          }).id as string,
      );
      upstream.seed('Group', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
        displayName: 'nephews',
        members: ids.slice(1).map((value) => ({ value })),
      });
      const source = await createSource({
        name: 'Upstream',
        kind: 'scim_upstream',
        config: { baseUrl: upstream.baseUrl, auth: { type: 'bearer' }, pageSize: 2 },
        secrets: { token: 'up' },
      });
      const run = await runToEnd(source, 'full');
      expect(run).toMatchObject({ status: 'done', progress: { seen: 4, created: 4, failed: 0 } });
      expect((await users(source)).map((u) => u.userName)).toEqual(['cubert', 'dwight', 'hubert']);
      const members = await env.prisma.$queryRawUnsafe<Array<{ user_name: string }>>(
        `SELECT u.attributes ->> 'userName' AS user_name FROM group_members gm
         JOIN resources g ON g.id = gm.group_id JOIN resources u ON u.id = gm.member_id
         WHERE g.tenant_id = $1::uuid AND g.attributes ->> 'displayName' = 'nephews' ORDER BY 1`,
        tenantId,
      );
      expect(members.map((m) => m.user_name)).toEqual(['cubert', 'dwight']);
    });
  });

  describe('an unreachable directory', () => {
    const retryAudits = async (runId: string) =>
      env.prisma.$queryRawUnsafe<Array<{ detail: Record<string, unknown> }>>(
        `SELECT detail FROM audit_events WHERE tenant_id = $1::uuid AND action = 'sync.run.retrying' AND resource_id = $2
         ORDER BY at, seq`,
        tenantId,
        runId,
      );

    it('is tried again within the job, with backoff: a directory back after a restart completes the run', async () => {
      const port = await freePort();
      const source = await ldapSource('Restarting directory', {
        url: `ldap://127.0.0.1:${port}`,
        groups: undefined,
        unreachableRetries: 4,
        retryDelayMs: 200,
      });
      const started = await call('POST', `/sources/${source}/runs`, { mode: 'full' });
      expect(started.status).toBe(202);
      // Nothing listens yet: the first attempt is refused and the run waits to try again.
      await eventually(
        async () => ((await retryAudits(started.body.id)).length > 0 ? true : undefined),
        10_000,
      );
      const proxy = await forwardTo(port, new URL(slapd.url));
      try {
        const run = await waitFor(source, started.body.id);
        // Every person read after the directory came back (other sources of this tenant already
        // hold the same people, so some records may be refused as duplicates: not a pull failure).
        expect(run).toMatchObject({ status: 'done', error: null, progress: { seen: 7 } });
        const audits = await retryAudits(run.id);
        expect(audits[0]!.detail).toMatchObject({ attempt: 1, delayMs: 200 });
        expect(String(audits[0]!.detail.error)).toMatch(/^unreachable: /);
      } finally {
        proxy.close();
      }
    });

    it('fails the run once the retries are spent, naming the attempts; a refusal is never retried', async () => {
      const port = await freePort();
      const gone = await ldapSource('Gone directory', {
        url: `ldap://127.0.0.1:${port}`,
        unreachableRetries: 2,
        retryDelayMs: 50,
      });
      const failed = await runToEnd(gone, 'full');
      expect(failed.status).toBe('failed');
      expect(failed.error).toMatch(/^unreachable: .*\(after 3 attempts\)$/);
      expect((await retryAudits(failed.id)).map((a) => a.detail.attempt)).toEqual([1, 2]);

      const refused = await ldapSource('Refused bind', { retryDelayMs: 50 }, 'not-the-password');
      const run = await runToEnd(refused, 'full');
      expect(run.status).toBe('failed');
      expect(run.error).toMatch(/^auth: /);
      expect(run.error).not.toContain('attempts');
      expect(await retryAudits(run.id)).toEqual([]);
    });
  });

  it('a source that still feeds records cannot be deleted; disable, withdraw (held, then confirmed), delete', async () => {
    // A tenant of its own: what the source fed is exactly what must go.
    const other = await env.createTenant('withdraw');
    const as = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${api.baseUrl}/admin/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${other.adminToken}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: res.status === 204 ? undefined : await json(res) };
    };
    const golden = async () =>
      (
        await env.prisma.$queryRawUnsafe<Array<{ resource_type: string; n: number }>>(
          `SELECT resource_type, count(*)::int AS n FROM resources WHERE tenant_id = $1::uuid AND lifecycle_state <> 'deleted'
           GROUP BY 1 ORDER BY 1`,
          other.tenant.id,
        )
      ).map((r) => `${r.n} ${r.resource_type}`);
    const created = await as('POST', '/sources', {
      name: 'Old directory',
      kind: 'ldap',
      roles: ALL_ROLES,
      config: ldapConfig(slapd.url),
      secrets: { bindPassword: PLANET_EXPRESS.readerPassword },
    });
    const source = created.body.id as string;
    const first = await as('POST', `/sources/${source}/runs`, { mode: 'full' });
    const runUntil = (runId: string) =>
      eventually(async () => {
        const { body } = await as('GET', `/sources/${source}/runs/${runId}`);
        return ['queued', 'running'].includes(body.status) ? undefined : body;
      }, 30_000);
    expect((await runUntil(first.body.id)).status).toBe('done');
    expect(await golden()).toEqual(['2 Group', '7 User']);

    const refused = await as('DELETE', `/sources/${source}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({
      code: 'source_has_contributions',
      details: { contributing: { User: 7, Group: 2 } },
    });
    expect(refused.body.error.message).toContain('"mode":"withdraw"');
    // Withdrawing needs the source disabled (a sync would bring everyone back).
    expect((await as('POST', `/sources/${source}/runs`, { mode: 'withdraw' })).body.error.code).toBe(
      'source_enabled',
    );
    expect((await as('PATCH', `/sources/${source}`, { enabled: false })).status).toBe(200);
    const withdraw = await as('POST', `/sources/${source}/runs`, { mode: 'withdraw' });
    expect(withdraw.status).toBe(202);
    const held = await runUntil(withdraw.body.id);
    expect(held).toMatchObject({
      status: 'awaiting_confirmation',
      mode: 'withdraw',
      heldDeletions: { count: 9, byType: { User: { live: 7, count: 7 }, Group: { live: 2, count: 2 } } },
    });
    expect(held.heldDeletions.reasons.join(' ')).toContain('withdrawing all 7');
    expect(await golden()).toEqual(['2 Group', '7 User']); // nothing applied before the confirmation
    expect((await as('DELETE', `/sources/${source}`)).status).toBe(409);

    expect((await as('POST', `/sources/${source}/runs/${held.id}/confirm`)).status).toBe(202);
    expect(await runUntil(held.id)).toMatchObject({ status: 'done', progress: { deleted: 9 } });
    // Through the engine: the records it alone fed are gone (no lifecycle policy: deleted), with
    // their outbox events for push, and the source's cursor is cleared.
    expect(await golden()).toEqual([]);
    const events = await env.prisma.$queryRawUnsafe<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM outbox WHERE tenant_id = $1::uuid AND kind = 'deleted'`,
      other.tenant.id,
    );
    expect(events[0]!.n).toBe(9);
    expect((await as('DELETE', `/sources/${source}`)).status).toBe(204);
    expect((await as('GET', `/sources/${source}`)).status).toBe(404);
  });

  it('schedules: a bad cron is a 400 naming the field; one job scheduler per enabled, scheduled source', async () => {
    const queue = new Queue(QueueName.Sync, {
      connection: redisConnectionOptions(env.config.redis.url),
      prefix: env.config.redis.queuePrefix,
    });
    try {
      const schedulers = async () =>
        (await queue.getJobSchedulers()).map((s) => ({ key: s.key, pattern: s.pattern }));
      const bad = await call('POST', '/sources', {
        name: 'Bad cron',
        kind: 'ldap',
        config: ldapConfig(slapd.url),
        schedule: '61 * * * *',
      });
      expect(bad.status).toBe(400);
      expect(bad.body.error.details).toEqual([expect.stringMatching(/^schedule .*cron/)]);
      const id = await createSource({
        name: 'Nightly',
        kind: 'ldap',
        config: ldapConfig(slapd.url),
        schedule: '0 2 * * *',
      });
      expect((await call('GET', `/sources/${id}`)).body.schedule).toBe('0 2 * * *');
      expect(await schedulers()).toContainEqual({ key: `sync:${id}`, pattern: '0 2 * * *' });
      await call('PATCH', `/sources/${id}`, { schedule: '*/30 * * * *' });
      expect(await schedulers()).toContainEqual({ key: `sync:${id}`, pattern: '*/30 * * * *' });
      expect((await call('PATCH', `/sources/${id}`, { schedule: 'hourly' })).status).toBe(400);
      await call('PATCH', `/sources/${id}`, { enabled: false });
      expect((await schedulers()).map((s) => s.key)).not.toContain(`sync:${id}`);
      // A disabled source does not run on demand either.
      expect((await call('POST', `/sources/${id}/runs`, {})).status).toBe(409);
      await call('PATCH', `/sources/${id}`, { enabled: true });
      expect((await schedulers()).map((s) => s.key)).toContain(`sync:${id}`);
      await call('PATCH', `/sources/${id}`, { schedule: null });
      expect((await schedulers()).map((s) => s.key)).not.toContain(`sync:${id}`);
      await call('PATCH', `/sources/${id}`, { schedule: '0 3 * * *' });
      expect((await call('DELETE', `/sources/${id}`)).status).toBe(204);
      expect((await schedulers()).map((s) => s.key)).not.toContain(`sync:${id}`);
      // Inbound SCIM sources have nothing to pull.
      const inbound = await createSource({ name: 'Inbound', kind: 'scim_inbound' });
      expect((await call('POST', `/sources/${inbound}/runs`, {})).status).toBe(400);
      expect((await call('PATCH', `/sources/${inbound}`, { schedule: '0 2 * * *' })).status).toBe(400);
    } finally {
      await queue.close();
    }
  });
});

/** A TCP forwarder on loopback `port` to `target` (an LDAP URL): the directory "comes back". */
function forwardTo(port: number, target: URL): Promise<net.Server> {
  const server = net.createServer((socket) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}
