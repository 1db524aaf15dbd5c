import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Pool } from 'undici';
import type { INestApplication } from '@nestjs/common';
import { BatchAggregationService, EngineConfigService } from '@hub/aggregation';
import { issueApiToken } from '@hub/auth';
import { HUB_NODE_FLAGS } from '@hub/config';
import {
  ApiClientRepository,
  EngineStore,
  SourceRepository,
  TargetRepository,
  asTenantId,
  type TenantId,
} from '@hub/persistence';
import { coreCapabilities, identityUsers } from '@hub/push';
import { SchemaRegistry, projectResource, validateResource, type JsonObject } from '@hub/scim';
import { createApiApp } from '../apps/api/src/create-api-app';
import { benchTenant, type Benchmark, type BenchRow } from './harness';
import { benchUser } from './scim-push-requests';

const USERS = { tiny: 300, small: 5_000, full: 100_000 };
/** Seconds of the rate-limited run measured (a rate; the whole population at 300/s takes minutes). */
const RATE_WINDOW_S = { tiny: 4, small: 20, full: 60 };
const LIMIT = { tiny: 100, small: 300, full: 300 };
const LATENCY_PROBES = { tiny: 20, small: 100, full: 200 };
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ROOT = path.resolve(__dirname, '..', '..');

/**
 * Active Push fan-out (issue 6): the hub's API in this process (inbound SCIM for the latency
 * probes), the worker as its own process (so its memory is its own), three in-memory SCIM targets
 * in this process. Users are loaded through the engine's batch path (outbox rows → relay →
 * fan-out), and a new target receives existing records by link levelling.
 *
 * 1. Rate-limited: three targets at LIMIT requests/s each, fed at once: the share of the limit
 *    each sustains over a window, and the highest request count any target saw in one second.
 * 2. Unthrottled: requests/s the three targets received from the hub beside what one target
 *    takes alone from a direct client in a process of its own (the same match + create
 *    requests, no hub).
 * 3. Change latency: an inbound SCIM PATCH accepted → the new value at all three targets, p50/p99,
 *    while a background writer changes other users at a steady rate.
 * 4. Worker peak RSS (VmHWM) after pushing N/10 users and after pushing N: flat, not linear.
 * 5. The floor (push-floor-worker.ts, ADR 0603): the N users pushed to three fresh targets by a
 *    process that reads, records and logs once per batch of 64 instead of once per object, and
 *    takes no job, rate token or lock — what a hub that batches everything could reach here.
 */
export const pushFanoutBenchmark: Benchmark = {
  name: 'push-fanout',
  async run(ctx): Promise<BenchRow[]> {
    const n = USERS[ctx.size];
    const limit = LIMIT[ctx.size];
    const rows: BenchRow[] = [];
    const secretsKey = randomBytes(32).toString('base64');
    const { config, prisma, tenant } = await benchTenant(ctx, 'pushfanout', {
      SECRETS_KEY: secretsKey,
      DATABASE_POOL_SIZE: '8',
    });
    await prisma.close();
    const tenantId = asTenantId(tenant.tenant.id);
    const api = await createApiApp(config, { shutdownHooks: false });
    await api.listen(0, '127.0.0.1');
    const apiUrl = `http://127.0.0.1:${(api.getHttpServer().address() as AddressInfo).port}`;
    const workerEnv = {
      DATABASE_URL: config.database.url,
      REDIS_URL: config.redis.url,
      QUEUE_PREFIX: config.redis.queuePrefix,
      SECRETS_KEY: secretsKey,
      WORKER_QUEUES: 'system,events,push',
      WORKER_CONCURRENCY: '48',
      DATABASE_POOL_SIZE: '12',
      LOG_LEVEL: 'warn',
    };
    const servers: BenchTarget[] = [];
    let worker: Worker | undefined;
    try {
      const source = await api.get(SourceRepository).create(tenantId, {
        name: 'hr',
        kind: 'scim_inbound',
        roles: { '*': { create: true, update: true } },
        config: {},
        enabled: true,
      });
      const issued = issueApiToken(randomUUID());
      await api.get(ApiClientRepository).create(tenantId, {
        id: issued.clientId,
        name: 'hr',
        scopes: ['scim:read', 'scim:write'],
        secretHash: issued.secretHash,
        sourceId: source.id,
      });
      const targets = api.get(TargetRepository);
      const addTargets = async (label: string, rateLimit: number, concurrency: number) => {
        const made: BenchTarget[] = [];
        for (let i = 0; i < 3; i++) {
          const server = await startBenchTarget();
          servers.push(server);
          const t = await targets.create(tenantId, {
            name: `${label}-${i}`,
            baseUrl: server.baseUrl,
            auth: { kind: 'none' },
            resourceTypes: identityUsers(),
            capabilities: coreCapabilities(),
            rateLimit,
            concurrency,
          });
          server.targetId = t.id;
          made.push(server);
        }
        return made;
      };
      const load = (from: number, to: number) => loadUsers(api, tenantId, source.id, from, to);
      const done = (set: BenchTarget[], count: number) => set.every((s) => s.users.size >= count);
      const waitFor = async (what: string, check: () => boolean, timeoutS: number) => {
        const deadline = Date.now() + timeoutS * 1000;
        while (!check()) {
          if (Date.now() > deadline) throw new Error(`push-fanout: timed out waiting for ${what}`);
          await sleep(200);
        }
      };
      const tenth = Math.max(1, Math.floor(n / 10));

      // 4a + warm-up: N/10 users to three unthrottled targets, then the worker's peak memory.
      ctx.log(`push-fanout: loading ${tenth} users`);
      await load(0, tenth);
      worker = startWorker(workerEnv);
      const open = await addTargets('open', 100_000, 16);
      await waitFor(`${tenth} users at the open targets`, () => done(open, tenth), 600);
      await sleep(1_000);
      const smallPeak = worker.peakRssMb();
      await worker.stop();

      // 2 + 4b: the other 9N/10 pushed by a fresh worker as the relay hands them over.
      ctx.log(`push-fanout: loading ${n - tenth} more users, then pushing them unthrottled`);
      await load(tenth, n);
      for (const s of open) s.arrivals.length = 0;
      worker = startWorker(workerEnv);
      await waitFor(`${n} users at the open targets`, () => done(open, n), 3_600);
      const hubRate = requestRate(open);
      const pushesPerS = (hubRate * (3 * (n - tenth))) / open.reduce((k, s) => k + s.arrivals.length, 0);
      ctx.log(
        `push-fanout: ${Math.round(pushesPerS)} pushes/s to three targets (${Math.round(hubRate)} requests/s)`,
      );

      // The target's own capacity for the same requests (match + create), measured alone.
      const alone = await startBenchTarget();
      servers.push(alone);
      const direct = await directLoad(alone.baseUrl, Math.min(n, 20_000), 16);
      rows.push({
        benchmark: 'push-fanout',
        metric: `unthrottled: requests/s at 3 targets from the hub (${Math.round(pushesPerS)} pushes/s)`,
        value: hubRate,
        unit: 'req/s',
        baseline: direct,
        aim: { ratioAtLeast: 0.5 },
      });

      // 3: change latency under a steady background load of other changes.
      ctx.log('push-fanout: change latency');
      const latencies = await changeLatency(
        apiUrl,
        issued.token,
        api,
        tenantId,
        open,
        LATENCY_PROBES[ctx.size],
        n,
      );
      rows.push(
        {
          benchmark: 'push-fanout',
          metric: 'change latency p50 (write → all 3 targets)',
          value: pct(latencies, 50),
          unit: 'ms',
          aim: { valueAtMost: 1_000 },
        },
        {
          benchmark: 'push-fanout',
          metric: 'change latency p99',
          value: pct(latencies, 99),
          unit: 'ms',
          aim: { valueAtMost: 5_000 },
        },
      );
      const bigPeak = worker.peakRssMb();
      rows.push({
        benchmark: 'push-fanout',
        metric: `worker peak RSS at ${n} users (baseline: at ${tenth})`,
        value: bigPeak,
        unit: 'MB',
        baseline: smallPeak,
        aim: { ratioAtMost: 1.5 },
      });

      // 1: rate-limited: the open targets stop, three limited ones are levelled with all N users.
      ctx.log(`push-fanout: three targets limited to ${limit}/s for ${RATE_WINDOW_S[ctx.size]} s`);
      for (const s of open) await targets.update(tenantId, s.targetId, { enabled: false });
      const limited = await addTargets('limited', limit, 16);
      await waitFor('the limited targets to start', () => limited.every((s) => s.arrivals.length > 0), 120);
      await sleep(2_000); // past the first tick's burst of enqueueing
      const from = Date.now();
      await sleep(RATE_WINDOW_S[ctx.size] * 1000);
      const to = Date.now();
      const shares = limited.map(
        (s) => s.arrivals.filter((t) => t >= from && t < to).length / ((to - from) / 1000) / limit,
      );
      const peak = Math.max(...limited.map((s) => maxInAnyWindow(s.arrivals, 1_000)));
      ctx.log(
        `push-fanout: rate-limited shares ${shares.map((x) => x.toFixed(2)).join(' / ')}, peaks ${limited.map((s) => maxInAnyWindow(s.arrivals, 1_000)).join(' / ')} req in 1 s`,
      );
      rows.push(
        {
          benchmark: 'push-fanout',
          metric: `rate-limited: lowest sustained rate of 3 targets (limit ${limit}/s each)`,
          value: Math.min(...shares) * limit,
          unit: 'req/s',
          baseline: limit,
          aim: { ratioAtLeast: 0.9 },
        },
        {
          benchmark: 'push-fanout',
          metric: 'rate-limited: most requests any target saw in 1 s',
          value: peak,
          unit: 'req',
          baseline: limit,
          aim: { ratioAtMost: 1 },
        },
      );
      for (const s of limited) await targets.update(tenantId, s.targetId, { enabled: false });

      // The floor: the same N users to three fresh targets by a process that does once per batch
      // what the hub does once per object (push-floor-worker.ts). The hub's worker is stopped.
      ctx.log(`push-fanout: floor (${n} users to three targets, everything batched)`);
      await worker.stop();
      const floor = await addTargets('floor', 100_000, 16);
      for (const s of floor) await targets.update(tenantId, s.targetId, { enabled: false });
      await runFloor({
        DATABASE_URL: config.database.url,
        FLOOR_TENANT: tenantId,
        FLOOR_TARGETS: JSON.stringify(floor.map((s) => ({ id: s.targetId, baseUrl: s.baseUrl }))),
      });
      if (!done(floor, n)) throw new Error('push-fanout: the floor did not push every user');
      const floorRate = requestRate(floor);
      rows.push(
        {
          benchmark: 'push-fanout',
          metric: 'floor: requests/s at 3 targets, everything batched (no queue, limit, lock or plan)',
          value: floorRate,
          unit: 'req/s',
          baseline: direct,
        },
        {
          benchmark: 'push-fanout',
          metric: 'unthrottled hub against the floor',
          value: hubRate,
          unit: 'req/s',
          baseline: floorRate,
        },
      );
      return rows;
    } finally {
      await worker?.stop();
      await api.close();
      await Promise.all(servers.map((s) => s.close()));
    }
  },
};

/**
 * Requests per second the targets saw together, from the first request any of them saw to the
 * last (a worker's boot is not the push's). Half a million arrivals at full size: a loop, not a
 * spread into Math.max (call stack).
 */
function requestRate(set: readonly BenchTarget[]): number {
  let first = Infinity;
  let last = -Infinity;
  let count = 0;
  for (const s of set)
    for (const at of s.arrivals) {
      if (at < first) first = at;
      if (at > last) last = at;
      count++;
    }
  return count / ((last - first) / 1000);
}

/** Runs push-floor-worker.js to its end; rejects when it fails. */
function runFloor(env: Record<string, string>): Promise<void> {
  const child = spawn(
    process.execPath,
    [...HUB_NODE_FLAGS, path.join(ROOT, 'dist', 'bench', 'push-floor-worker.js')],
    { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  return new Promise((resolve, reject) =>
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`push floor exited with ${code}`)),
    ),
  );
}

interface Worker {
  child: ChildProcess;
  peakRssMb(): number;
  stop(): Promise<void>;
}

function startWorker(env: Record<string, string>): Worker {
  // BENCH_WORKER_NODE_ARGS, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`, to profile the worker.
  const nodeArgs = (process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(
    process.execPath,
    [...HUB_NODE_FLAGS, ...nodeArgs, path.join(ROOT, 'dist', 'apps', 'worker', 'src', 'main.js')],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  return {
    child,
    // Linux keeps the process' RSS high-water mark: the peak, whenever it happened.
    peakRssMb: () => {
      const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function loadUsers(
  app: INestApplication,
  tenantId: TenantId,
  sourceId: string,
  from: number,
  to: number,
) {
  const batches = app.get(BatchAggregationService, { strict: false });
  const store = app.get(EngineStore, { strict: false });
  const configs = app.get(EngineConfigService, { strict: false });
  for (let start = from; start < to; start += 1_000) {
    const end = Math.min(to, start + 1_000);
    await store.transaction(async (tx) => {
      const cfg = await configs.get(tenantId, 'User', tx);
      const drafts = [];
      for (let i = start; i < end; i++)
        drafts.push({ resourceType: 'User', sourceKey: `u${i}`, externalId: null, attributes: benchUser(i) });
      await batches.assertBatch(
        tx,
        { tenantId, sourceId, actor: { type: 'source', id: sourceId }, channel: 'bench' },
        cfg,
        drafts,
      );
    });
  }
}

/**
 * Probes at a steady pace (5/s) while a background writer changes other users (20/s): each
 * probe's latency runs from its PATCH's answer to the moment the last target stored its value.
 */
async function changeLatency(
  apiUrl: string,
  token: string,
  api: INestApplication,
  tenantId: TenantId,
  targets: BenchTarget[],
  probes: number,
  n: number,
): Promise<number[]> {
  const ids = await api
    .get(EngineStore, { strict: false })
    .transaction(async (tx) =>
      (
        await tx.$queryRawUnsafe<{ id: string }[]>(
          `SELECT id::text FROM resources WHERE tenant_id = $1::uuid AND resource_type = 'User' ORDER BY id LIMIT 400`,
          tenantId,
        )
      ).map((r) => r.id),
    );
  const pool = new Pool(apiUrl, { connections: 8 });
  const patch = async (id: string, title: string) => {
    const res = await pool.request({
      method: 'PATCH',
      path: `/scim/v2/Users/${id}`,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify({
        schemas: [PATCH_OP],
        Operations: [{ op: 'replace', path: 'title', value: title }],
      }),
    });
    await res.body.dump();
    if (res.statusCode !== 200) throw new Error(`PATCH ${res.statusCode}`);
  };
  let running = true;
  const background = (async () => {
    for (let k = 0; running; k++) {
      const at = Date.now();
      await patch(ids[200 + (k % 200)]!, `bg-${k}`).catch(() => undefined);
      await sleep(Math.max(0, 50 - (Date.now() - at)));
    }
  })();
  const accepted = new Map<string, number>();
  for (let k = 0; k < probes; k++) {
    const at = Date.now();
    const title = `lat-${k}`;
    await patch(ids[k % 200]!, title);
    accepted.set(title, Date.now());
    await sleep(Math.max(0, 200 - (Date.now() - at)));
  }
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && [...accepted.keys()].some((t) => targets.some((s) => !s.marks.has(t))))
    await sleep(100);
  running = false;
  await background;
  await pool.close();
  void n;
  return [...accepted].map(
    ([title, at]) => Math.max(...targets.map((s) => s.marks.get(title) ?? Infinity)) - at,
  );
}

/**
 * One target's own capacity for what a push of a new user sends (match, then create): the
 * direct client (`direct-load-worker.js`), in a process of its own as the hub's worker is.
 */
function directLoad(baseUrl: string, users: number, concurrency: number): Promise<number> {
  const child = spawn(
    process.execPath,
    [...HUB_NODE_FLAGS, path.join(ROOT, 'dist', 'bench', 'direct-load-worker.js')],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        DIRECT_BASE_URL: baseUrl,
        DIRECT_USERS: String(users),
        DIRECT_CONCURRENCY: String(concurrency),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  return new Promise((resolve, reject) =>
    child.once('exit', (code) => {
      const rate = code === 0 ? (JSON.parse(out) as { requestsPerSecond: number }).requestsPerSecond : NaN;
      if (Number.isFinite(rate)) resolve(rate);
      else reject(new Error(`the direct client exited with ${code}`));
    }),
  );
}

interface BenchTarget {
  baseUrl: string;
  targetId: string;
  users: Map<string, Record<string, unknown>>;
  /** Arrival time of every request (ms). */
  arrivals: number[];
  /** `lat-*` titles → when the target stored them (latency probes). */
  marks: Map<string, number>;
  close(): Promise<void>;
}

/**
 * A lean in-memory SCIM target: userName index for the match filter (`userName eq "…"` by GET or
 * /.search), create, replace-style PATCH of simple attributes, PUT, DELETE. What it does per
 * request is what a real app's front does cheaply; the figure it yields alone is the baseline.
 */
async function startBenchTarget(): Promise<BenchTarget> {
  // Creates are validated and answers projected by @hub/scim, as a SCIM app's front would.
  const schemas = SchemaRegistry.withBuiltIns({ device: false }).resourceType('User');
  const users = new Map<string, Record<string, unknown>>();
  const byName = new Map<string, string>();
  const arrivals: number[] = [];
  const marks = new Map<string, number>();
  const mark = (u: Record<string, unknown>) => {
    const title = u.title;
    if (typeof title === 'string' && title.startsWith('lat-') && !marks.has(title))
      marks.set(title, Date.now());
  };
  const server = http.createServer((req, res) => {
    arrivals.push(Date.now());
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        answer();
      } catch (e) {
        res.writeHead(400, { 'content-type': 'application/scim+json' });
        res.end(JSON.stringify({ status: '400', detail: (e as Error).message }));
      }
    });
    const answer = () => {
      const send = (status: number, body?: unknown) => {
        res.writeHead(status, { 'content-type': 'application/scim+json' });
        res.end(body === undefined ? '' : JSON.stringify(body));
      };
      const url = new URL(req.url ?? '/', 'http://x');
      const parts = url.pathname
        .replace(/^\/scim\/v2\/?/, '')
        .split('/')
        .filter(Boolean);
      const body = chunks.length
        ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>)
        : {};
      const list = (filter: unknown) => {
        const m = /^userName eq "(.*)"$/i.exec(String(filter ?? ''));
        const id = m ? byName.get(m[1]!.toLowerCase()) : undefined;
        const found = id ? [users.get(id)!] : [];
        return {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
          totalResults: found.length,
          startIndex: 1,
          itemsPerPage: found.length,
          Resources: found,
        };
      };
      if (parts[0] !== 'Users') return send(404, { status: '404' });
      if (parts[1] === '.search' && req.method === 'POST') return send(200, list(body.filter));
      if (!parts[1] && req.method === 'GET') return send(200, list(url.searchParams.get('filter')));
      if (!parts[1] && req.method === 'POST') {
        const key = String(body.userName).toLowerCase();
        if (byName.has(key)) return send(409, { status: '409', scimType: 'uniqueness' });
        const id = randomUUID();
        const valid = validateResource(body, schemas, { context: 'create' });
        const created = { ...valid, id, meta: { resourceType: 'User' } };
        users.set(id, created);
        byName.set(key, id);
        mark(created);
        return send(201, projectResource(created as JsonObject, schemas));
      }
      const existing = parts[1] ? users.get(parts[1]) : undefined;
      if (!existing) return send(404, { status: '404' });
      if (req.method === 'PATCH') {
        for (const op of (body.Operations ?? []) as { op: string; path?: string; value?: unknown }[])
          if (op.path && !op.path.includes('[') && !op.path.includes('.')) {
            if (op.op === 'remove') delete existing[op.path];
            else existing[op.path] = op.value;
          }
        mark(existing);
        return send(200, projectResource(existing as JsonObject, schemas));
      }
      if (req.method === 'PUT') {
        const replaced = { ...body, id: existing.id, meta: existing.meta };
        users.set(String(existing.id), replaced);
        mark(replaced);
        return send(200, replaced);
      }
      if (req.method === 'DELETE') {
        users.delete(String(existing.id));
        byName.delete(String(existing.userName).toLowerCase());
        return send(204);
      }
      return send(405, { status: '405' });
    };
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/scim/v2`,
    targetId: '',
    users,
    arrivals,
    marks,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function maxInAnyWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let end = 0, start = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= windowMs) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
