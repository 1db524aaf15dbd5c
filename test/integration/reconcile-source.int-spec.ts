import type { INestApplicationContext } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { createWorkerApp } from '../../apps/worker/src/create-worker-app';
import { json } from '../harness/json';
import { createTestEnv, startApi, type RunningApi, type TestEnv } from '../harness/hub-fixture';
import { eventually } from '../harness/processes';
import { startScimTestServer, type ScimTestServer } from '../harness/scim-test-server';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';

/**
 * The upstream-source check (ADR 0702): after a sync, the upstream SCIM server changes behind the
 * hub's back; a reconciliation of the source reports which stored contributions are stale (with
 * the attributes), which records the hub lacks and which the source no longer has, and changes
 * nothing in the hub.
 */
describe('reconciliation of an upstream source', () => {
  let env: TestEnv;
  let api: RunningApi;
  let worker: INestApplicationContext;
  let upstream: ScimTestServer;
  let token: string;
  let tenantId: string;

  beforeAll(async () => {
    env = await createTestEnv({
      WORKER_QUEUES: 'sync,reconcile',
      SECRETS_KEY: randomBytes(32).toString('base64'),
    });
    [api, worker, upstream] = await Promise.all([
      startApi(env.config),
      createWorkerApp(env.config, { shutdownHooks: false }),
      startScimTestServer({ token: 'up' }),
    ]);
    const t = await env.createTenant('recon-source');
    token = t.adminToken;
    tenantId = t.tenant.id;
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await upstream?.close();
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
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- bodies are asserted by shape
    return { status: res.status, body: (res.status === 204 ? undefined : await json(res)) as any };
  };
  const until = (path: string) =>
    eventually(
      async () => {
        const { body } = await call('GET', path);
        return ['queued', 'running'].includes(body.status) ? undefined : body;
      },
      30_000,
      path,
    );
  const titleOf = async (userName: string) =>
    (
      await env.prisma.$queryRawUnsafe<Array<{ title: string | null }>>(
        `SELECT attributes->>'title' AS title FROM resources WHERE tenant_id = $1::uuid AND name_key = $2`,
        tenantId,
        userName,
      )
    )[0]?.title;

  it('reports stale, missing and vanished records and writes nothing', async () => {
    const byName = new Map<string, string>();
    for (const [userName, title] of [
      ['cubert', 'Clone'],
      ['dwight', 'Bureaucrat'],
      ['hubert', 'Professor'],
    ])
      byName.set(userName, upstream.seed('User', { schemas: [USER], userName, title }).id as string);
    const created = await call('POST', '/sources', {
      name: 'upstream',
      kind: 'scim_upstream',
      roles: { User: { create: true, update: true } },
      config: { baseUrl: upstream.baseUrl, auth: { type: 'bearer' }, pageSize: 2 },
      secrets: { token: 'up' },
    });
    expect(created.status).toBe(201);
    const sourceId: string = created.body.id;
    const sync = await call('POST', `/sources/${sourceId}/runs`, { mode: 'full' });
    expect(await until(`/sources/${sourceId}/runs/${sync.body.id}`)).toMatchObject({
      status: 'done',
      progress: { created: 3 },
    });

    // Behind the hub's back: an edit, a deletion, a new account.
    const users = upstream.store.get('User')!;
    const dwight = users.get(byName.get('dwight')!)!;
    users.set(dwight.id as string, { ...dwight, title: 'Chief Bureaucrat' });
    users.delete(byName.get('hubert')!);
    upstream.seed('User', { schemas: [USER], userName: 'farnsworth', title: 'Professor' });

    const check = await call('POST', `/sources/${sourceId}/reconciliations`, { resourceType: 'User' });
    expect(check.status).toBe(202);
    expect(check.body).toMatchObject({ subject: { kind: 'source', id: sourceId }, dryRun: true });
    const done = await until(`/reconciliations/${check.body.id}`);
    expect(done).toMatchObject({
      status: 'done',
      progress: { seen: 3 },
      counts: { in_sync: 1, stale: 1, not_at_hub: 1, gone_at_source: 1 },
    });
    const stale = done.samples.find((s: { class: string }) => s.class === 'stale');
    expect(stale).toMatchObject({
      remoteId: byName.get('dwight'),
      differences: [{ path: 'title', hub: 'Bureaucrat', remote: 'Chief Bureaucrat' }],
    });
    expect(done.samples.find((s: { class: string }) => s.class === 'gone_at_source')).toMatchObject({
      remoteId: byName.get('hubert'),
    });

    // Report only: the hub still says what the last sync stored.
    expect(await titleOf('dwight')).toBe('Bureaucrat');
    expect(await titleOf('hubert')).toBe('Professor');
    expect(await titleOf('farnsworth')).toBeUndefined();
    const listed = await call('GET', `/reconciliations?sourceId=${sourceId}`);
    expect(listed.body.items.map((r: { id: string }) => r.id)).toEqual([check.body.id]);
  });
});
