import 'reflect-metadata';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import http from 'node:http';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { AddressInfo } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { AggregationModule } from '@hub/aggregation';
import { HubConfigModule, type HubConfig } from '@hub/config';
import {
  PersistenceModule,
  ReconcileRunRepository,
  TargetRepository,
  asTenantId,
  type TenantId,
} from '@hub/persistence';
import { QueueModule } from '@hub/queue';
import { ReconcileModule, ReconcileRunner } from '@hub/reconcile';
import { representationHash } from '@hub/push';
import { ScimClient } from '@hub/scim-client';
import { SecretsModule } from '@hub/secrets';
import { benchTenant, type Benchmark, type BenchRow } from './harness';

const USERS = { tiny: 2_000, small: 20_000, full: 100_000 };
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PAGE = 500;

/**
 * Reconciliation of one target (ADR 0702) through the real runner: paged read through the shared
 * gate, links and golden records per page, the representation and normalised comparison per
 * object, report progress per page. The target is an in-memory SCIM server in this process
 * (index paging, pages of 500), loaded directly; the hub is loaded by bulk SQL (golden records and
 * synced links). Rows: a run over N in-sync users and over N with 1 % drift (remediation marks the
 * links and enqueues pushes; the pushes themselves are the push benchmark's), each beside a bare
 * paged GET of the same target in the same run, as a ratio (aim: within 2×); and the heap
 * live-heap high-water during the run at N and at N/10 (flat: memory bounded by the page, not
 * the target; the seen-set's 8 bytes per object are the only part that grows).
 */
export const reconcileBenchmark: Benchmark = {
  name: 'reconcile',
  async run(ctx): Promise<BenchRow[]> {
    const n = USERS[ctx.size];
    const { url, config, prisma, tenant } = await benchTenant(ctx, 'reconcile', {
      SECRETS_KEY: randomBytes(32).toString('base64'),
      DATABASE_POOL_SIZE: '6',
    });
    await prisma.close();
    const tenantId = asTenantId(tenant.tenant.id);
    const big = await startTarget(n, 'a');
    const small = await startTarget(Math.max(1, Math.floor(n / 10)), 'b');
    const app = await reconcileApp(config);
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    try {
      const targets = app.get(TargetRepository);
      const makeTarget = async (name: string, baseUrl: string) =>
        (
          await targets.create(tenantId, {
            name,
            baseUrl,
            auth: { kind: 'none' },
            resourceTypes: {
              User: {
                enabled: true,
                matchAttribute: 'userName',
                mapping: { mode: 'identity' },
                deprovision: 'disable',
              },
            },
            capabilities: {
              patch: true,
              filter: true,
              etag: false,
              resourceTypes: { User: { endpoint: '/Users', schema: USER, extensions: [] } },
              schemas: [USER],
            },
            rateLimit: 100_000,
            concurrency: 8,
          })
        ).id;
      const bigId = await makeTarget('big', big.baseUrl);
      const smallId = await makeTarget('small', small.baseUrl);
      ctx.log(`loading ${n} + ${small.users.length} golden records and links`);
      await load(pool, tenantId, bigId, 'a', n);
      await load(pool, tenantId, smallId, 'b', small.users.length);

      const runs = app.get(ReconcileRunRepository);
      const runner = app.get(ReconcileRunner);
      const reconcile = async (targetId: string, sampled = false) => {
        const run = await runs.open(tenantId, {
          subjectKind: 'target',
          subjectId: targetId,
          resourceType: 'User',
          mode: 'full',
          dryRun: false,
          trigger: 'manual',
        });
        const heap = sampled ? sampleHeap() : undefined;
        const started = performance.now();
        const done = await runner.run(tenantId, run.id);
        const ms = performance.now() - started;
        const peakMb = heap?.stop() ?? 0;
        if (done?.status !== 'done') throw new Error(`reconciliation ${done?.status}: ${done?.error}`);
        return { ms, peakMb, counts: done.counts };
      };
      const expectCounts = (r: { counts: Record<string, number> }, key: string, want: number) => {
        if (r.counts[key] !== want)
          throw new Error(`expected ${want} ${key}, got ${JSON.stringify(r.counts)}`);
      };

      // Warm (a worker is): a read and a run first, then the better of two of each.
      await bareRead(big.baseUrl);
      const bare = Math.min(await bareRead(big.baseUrl), await bareRead(big.baseUrl));
      const inSyncRuns = [await reconcile(bigId), await reconcile(bigId), await reconcile(bigId)];
      for (const r of inSyncRuns) expectCounts(r, 'in_sync', n);
      const inSync = Math.min(inSyncRuns[1]!.ms, inSyncRuns[2]!.ms);
      // Memory in runs of their own (the forced collections would slow the timed runs).
      const memBig = await reconcile(bigId, true);
      await reconcile(smallId);
      const memSmall = await reconcile(smallId, true);

      const drifted = big.drift(0.01);
      const bare2 = Math.min(await bareRead(big.baseUrl), await bareRead(big.baseUrl));
      // The drifted links stay dirty (no worker pushes here): the second run remediates them again.
      const driftRuns = [await reconcile(bigId), await reconcile(bigId)];
      for (const r of driftRuns) expectCounts(r, 'drifted', drifted);
      const drift = Math.min(driftRuns[0]!.ms, driftRuns[1]!.ms);
      ctx.log(
        `bare ${bare.toFixed(0)} ms, in-sync ${inSync.toFixed(0)} ms, drift ${drift.toFixed(0)} ms; live heap high-water ${memBig.peakMb.toFixed(1)} MB (N) vs ${memSmall.peakMb.toFixed(1)} MB (N/10)`,
      );
      const rate = (ms: number) => Math.round(n / (ms / 1000));
      return [
        {
          benchmark: 'reconcile',
          metric: `${n} in-sync users, time vs bare paged GET`,
          value: Math.round(inSync),
          unit: `ms (${rate(inSync)}/s)`,
          baseline: Math.round(bare),
          aim: { ratioAtMost: 2 },
        },
        {
          benchmark: 'reconcile',
          metric: `${n} users, 1% drift (${drifted} remediated), time vs bare paged GET`,
          value: Math.round(drift),
          unit: `ms (${rate(drift)}/s)`,
          baseline: Math.round(bare2),
          aim: { ratioAtMost: 2 },
        },
        {
          benchmark: 'reconcile',
          metric: `live heap high-water during a run: N=${n} (baseline: N/10)`,
          value: Number(memBig.peakMb.toFixed(1)),
          unit: 'MB',
          baseline: Number(Math.max(0.1, memSmall.peakMb).toFixed(1)),
          // Flat: bounded by pages in flight, not by the target (the seen-set adds 8 bytes an object).
          ...(ctx.size === 'tiny' ? {} : { aim: { valueAtMost: 32 } }),
        },
      ];
    } finally {
      await pool.end();
      await app.close();
      await big.close();
      await small.close();
    }
  },
};

/**
 * Live heap above the start: sampled every 100 ms right after a forced full collection (garbage
 * not yet collected is not memory the run holds), high-water mark kept. `gc` is exposed at run
 * time when the process was not started with --expose-gc.
 */
function sampleHeap(): { stop(): number } {
  const gc = exposedGc();
  gc();
  const base = process.memoryUsage().heapUsed;
  let peak = base;
  const timer = setInterval(() => {
    gc();
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, 100);
  return {
    stop() {
      clearInterval(timer);
      // What the run still holds at its end (short runs see no interval sample).
      gc();
      peak = Math.max(peak, process.memoryUsage().heapUsed);
      return (peak - base) / 1024 / 1024;
    },
  };
}

function exposedGc(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

/** The hub id of generated user i of a set (a uuid the SQL side computes the same way). */
function hubId(set: string, i: number): string {
  const h = createHash('md5').update(`${set}${i}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function attributesOf(set: string, i: number) {
  return {
    userName: `${set}user${i}`,
    name: { givenName: `Given${i}`, familyName: `Family${i}` },
    title: `Title ${i % 50}`,
    active: true,
  };
}

async function load(
  pool: pg.Pool,
  tenantId: TenantId,
  targetId: string,
  set: string,
  n: number,
): Promise<void> {
  // Synced links carry the hash of what was pushed (the representation of the golden record).
  const hashes = Array.from({ length: n }, (_, i) =>
    representationHash({ schemas: [USER], externalId: hubId(set, i), ...attributesOf(set, i) }),
  );
  const attrs = `jsonb_build_object('schemas', jsonb_build_array('${USER}'), 'userName', '${set}user' || i,
    'name', jsonb_build_object('givenName', 'Given' || i, 'familyName', 'Family' || i),
    'title', 'Title ' || (i % 50), 'active', true)`;
  await pool.query(
    `INSERT INTO resources (id, tenant_id, resource_type, attributes, version, lifecycle_state, name_key, updated_at)
     SELECT md5($3 || i)::uuid, $1::uuid, 'User', ${attrs}, 1, 'active', lower($3 || 'user' || i), now()
     FROM generate_series(0, $2::int - 1) AS i`,
    [tenantId, n, set],
  );
  await pool.query(
    `INSERT INTO target_links (id, tenant_id, target_id, resource_id, resource_type, remote_id, pushed_state, pushed_hash,
       pushed_version, desired_version, status, last_pushed_at, updated_at)
     SELECT gen_random_uuid(), $1::uuid, $2::uuid, md5($4 || i)::uuid, 'User', $4 || '-r' || i,
       ${attrs} || jsonb_build_object('externalId', md5($4 || i)::uuid::text), h.hash, 1, 1, 'synced',
       now() - interval '1 hour', now()
     FROM unnest($3::text[]) WITH ORDINALITY AS h(hash, n), LATERAL (SELECT (h.n - 1)::int AS i) x`,
    [tenantId, targetId, hashes, set],
  );
}

/** A bare paged GET of every user, as a client of the target would do it (same page size). */
async function bareRead(baseUrl: string): Promise<number> {
  const client = new ScimClient({ baseUrl, auth: { type: 'none' }, retry: { maxAttempts: 1 } });
  const started = performance.now();
  let seen = 0;
  for await (const page of client.list('/Users', { count: PAGE })) seen += page.resources.length;
  const ms = performance.now() - started;
  await client.close();
  if (!seen) throw new Error('bare read saw nothing');
  return ms;
}

interface BenchTarget {
  baseUrl: string;
  users: Array<Record<string, unknown>>;
  /** Changes the title of a share of the users; returns how many. */
  drift(share: number): number;
  close(): Promise<void>;
}

/** An in-memory SCIM target: index-paged GET of users, and PATCH/PUT/POST accepted as is. */
async function startTarget(n: number, set: string): Promise<BenchTarget> {
  const users = Array.from({ length: n }, (_, i) => ({
    schemas: [USER],
    id: `${set}-r${i}`,
    externalId: hubId(set, i),
    ...attributesOf(set, i),
    meta: { resourceType: 'User', lastModified: '2026-01-01T00:00:00Z' },
  })) as Array<Record<string, unknown>>;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/scim+json');
      if (req.method === 'GET' && url.pathname.endsWith('/Users')) {
        const start = Math.max(1, Number(url.searchParams.get('startIndex') ?? 1));
        const count = Math.min(PAGE, Number(url.searchParams.get('count') ?? PAGE));
        const page = users.slice(start - 1, start - 1 + count);
        res.end(
          JSON.stringify({
            schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
            totalResults: users.length,
            startIndex: start,
            itemsPerPage: page.length,
            Resources: page,
          }),
        );
        return;
      }
      res.statusCode = req.method === 'DELETE' ? 204 : 200;
      res.end(req.method === 'DELETE' ? '' : JSON.stringify({ id: 'x' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/scim/v2`;
  return {
    baseUrl,
    users,
    drift(share) {
      const every = Math.round(1 / share);
      let k = 0;
      for (let i = 0; i < users.length; i += every) {
        users[i] = { ...users[i], title: 'Edited at the target' };
        k++;
      }
      return k;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function reconcileApp(config: HubConfig): Promise<INestApplicationContext> {
  @Module({
    imports: [
      HubConfigModule.forRoot(config),
      PersistenceModule,
      SecretsModule,
      QueueModule.forRoot(),
      AggregationModule,
      ReconcileModule,
    ],
  })
  class BenchReconcileModule {}
  return NestFactory.createApplicationContext(BenchReconcileModule, { logger: false });
}
