import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startRedisServer, type RunningRedis } from '../../libs/embedded/src';
import { loadUsers } from '../harness/bulk-users';
import { createTestEnv, startApi, type RunningApi, type TestEnv } from '../harness/hub-fixture';
import { spawnApp, type HubProcess } from '../harness/processes';
import { converge } from '../harness/push-convergence';
import { addTarget, caller, inboundScimSource, type Call } from '../harness/push-fixture';
import { startScimTestServer, type ScimTestServer } from '../harness/scim-test-server';

// PUSH_FAULT_USERS: a smaller population while working on the test (the issue asks for 10,000).
const USERS = Number(process.env.PUSH_FAULT_USERS ?? 10_000);
const KILLS = 5;
const WORKER_MAIN = path.resolve(__dirname, '..', '..', 'dist', 'apps', 'worker', 'src', 'main.js');

/**
 * Issue 6's fault test: 10,000 users fanned out to three targets while the worker process is
 * killed with SIGKILL at random moments (and restarted each time) and Redis — a private one, so
 * other test files are not disturbed — is restarted empty once. Postgres holds the state; the
 * targets must converge with every user exactly once: none lost, none duplicated.
 */
describe('push under worker kills and a Redis restart', () => {
  let redis: RunningRedis;
  let env: TestEnv;
  let api: RunningApi;
  let worker: HubProcess | undefined;
  let admin: Call;
  const targets: ScimTestServer[] = [];
  let tenantId = '';
  let sourceId = '';

  beforeAll(async () => {
    redis = await startRedisServer();
    env = await createTestEnv({
      REDIS_URL: redis.url,
      SECRETS_KEY: randomBytes(32).toString('base64'),
      WORKER_QUEUES: 'system,events,push',
      WORKER_CONCURRENCY: '16',
      DATABASE_POOL_SIZE: '12',
    });
    api = await startApi(env.config);
    const tenant = await env.createTenant();
    tenantId = tenant.tenant.id;
    admin = caller(api.baseUrl, tenant.adminToken);
    sourceId = (await inboundScimSource(api, tenantId, 'hr')).sourceId;
    for (let t = 0; t < 3; t++) {
      const server = await startScimTestServer({ token: `t${t}`, maxPageSize: 1000 });
      targets.push(server);
      await addTarget(admin, {
        name: `target-${t}`,
        baseUrl: server.baseUrl,
        auth: { kind: 'bearer' },
        secrets: { token: `t${t}` },
        resourceTypes: {
          User: {
            enabled: true,
            matchAttribute: 'userName',
            mapping: { mode: 'identity' },
            deprovision: 'delete',
          },
        },
        rateLimit: 2_000,
        concurrency: 8,
      });
    }
  });

  afterAll(async () => {
    stopping = true;
    if (worker) {
      worker.child.kill('SIGKILL');
      await worker.exited;
    }
    await api?.close();
    await Promise.all(targets.map((t) => t.close()));
    await env?.close();
    await redis?.stop();
  });

  const unexpected: string[] = [];
  let stopping = false;
  /** Starts a worker and, like a process supervisor, restarts it if it ends without our SIGKILL. */
  const startWorker = () => {
    const started = spawnApp('worker', { ...env.env, REDIS_URL: redis.url, LOG_LEVEL: 'warn' });
    worker = started;
    void started.exited.then(async ({ signal }) => {
      if (stopping || signal === 'SIGKILL' || worker !== started) return;
      // Only tolerated: dist/ rebuilt under us by a concurrent build in a shared checkout.
      if (!/Cannot find module/.test(started.output())) unexpected.push(started.output().slice(-2000));
      while (!fs.existsSync(WORKER_MAIN)) await pause(200);
      await pause(500);
      if (!stopping && worker === started) startWorker();
    });
    return started;
  };
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('converges with every user exactly once at every target', async () => {
    startWorker();
    const loading = loadUsers(api.app, tenantId, sourceId, 0, USERS, (i) => ({
      userName: `user${String(i).padStart(5, '0')}@example.test`,
      name: { givenName: `Given${i}`, familyName: `Family${i}` },
      title: `Title ${i % 40}`,
      active: true,
    }));

    // Kill the worker at random moments while users load and fan out; restart Redis once, empty.
    let kills = 0;
    const random = seeded(42);
    const chaos = (async () => {
      while (kills < KILLS) {
        await pause(2_000 + random() * 6_000);
        const victim = worker!;
        if (victim.child.exitCode !== null) continue; // being restarted by the supervisor
        victim.child.kill('SIGKILL');
        await victim.exited;
        kills += 1;
        if (kills === 3) {
          // Redis goes away and comes back empty on the same port: queued jobs are lost.
          await redis.stop();
          await pause(500);
          redis = await startRedisServer({ port: redis.port });
        }
        startWorker();
      }
    })();
    await Promise.all([loading, chaos]);
    expect(kills).toBe(KILLS);
    expect(unexpected).toEqual([]);

    const golden = await env.prisma.rawQuery<{ id: string }>(
      `SELECT id FROM resources WHERE tenant_id = $1::uuid AND resource_type = 'User'`,
      [tenantId],
    );
    expect(golden).toHaveLength(USERS);
    const ids = new Set(golden.map((g) => g.id));

    await converge(
      async () => {
        const problems: string[] = [];
        targets.forEach((t, n) => {
          const users = [...t.store.get('User')!.values()];
          const seen = new Map<string, number>();
          for (const u of users) seen.set(String(u.externalId), (seen.get(String(u.externalId)) ?? 0) + 1);
          const missing = [...ids].filter((id) => !seen.has(id)).length;
          const duplicated = [...seen.values()].filter((c) => c > 1).length;
          const strangers = [...seen.keys()].filter((id) => !ids.has(id)).length;
          if (missing || duplicated || strangers || users.length !== USERS)
            problems.push(
              `target-${n}: ${users.length} accounts, ${missing} missing, ${duplicated} duplicated, ${strangers} unknown`,
            );
        });
        if (problems.length && worker && worker.child.exitCode !== null)
          problems.push(`the worker has exited (${worker.child.exitCode}):\n${worker.output().slice(-3000)}`);
        return problems;
      },
      360_000,
      'the three targets',
    );
    // Every account was created once: a create whose answer was lost was adopted, not repeated.
    for (const t of targets) {
      const created = t.requests.filter(
        (r) => r.method === 'POST' && r.path.endsWith('/Users') && r.status === 201,
      );
      expect(created).toHaveLength(USERS);
    }
  }, 560_000);
});

/** mulberry32: the kill schedule replays from its seed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
