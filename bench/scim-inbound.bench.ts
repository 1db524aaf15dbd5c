import http from 'node:http';
import { createHash, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { Pool } from 'undici';
import { issueApiToken } from '@hub/auth';
import { ApiClientRepository, SqlParams, asTenantId, auditHash, scimReadSql } from '@hub/persistence';
import { createApiApp } from '../apps/api/src/create-api-app';
import {
  benchTenant,
  httpLoad,
  httpRateLoad,
  type Benchmark,
  type BenchRow,
  type LoadResult,
  loadResult,
  profiled,
  describeStalls,
  watchMainThread,
} from './harness';

const USERS = { tiny: 500, small: 10_000, full: 100_000 };
const SINGLE_CREATES = { tiny: 200, small: 2_000, full: 5_000 };
const READS = { tiny: 300, small: 5_000, full: 20_000 };
const CONCURRENCY = 32;
const BULK_SIZE = 100;
const USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User';

/**
 * The inbound SCIM server on real PostgreSQL: creates per second (single POST and /Bulk), GET by
 * id, `filter=userName eq` latency, list pages; beside a bare node:http handler that runs the
 * same SQL through pg (same transaction for a create: resource, contribution, outbox, chained
 * audit row), measured in the same run.
 */
export const scimInboundBenchmark: Benchmark = {
  name: 'scim-inbound',
  async run(ctx): Promise<BenchRow[]> {
    const {
      url,
      config,
      prisma,
      tenant: provisioned,
    } = await benchTenant(ctx, 'scim-inbound', {
      REQUEST_BODY_LIMIT_BYTES: String(8 * 1024 * 1024),
    });
    const { tenant } = provisioned;
    const tenantId = asTenantId(tenant.id);
    await prisma.$executeRawUnsafe(
      `UPDATE tenants SET settings = '{"scim":{"rateLimit":{"requestsPerSecond":1000000,"burst":1000000}}}' WHERE id = $1::uuid`,
      tenantId,
    );
    const issued = issueApiToken(randomUUID());
    await new ApiClientRepository(prisma).create(tenantId, {
      id: issued.clientId,
      name: 'bench-hr',
      scopes: ['scim:read', 'scim:write'],
      secretHash: issued.secretHash,
    });
    const sourceId = randomUUID();
    await prisma.$executeRawUnsafe(
      `INSERT INTO sources (id, tenant_id, name, kind, updated_at) VALUES ($1::uuid, $2::uuid, 'bench-baseline', 'scim_inbound', now())`,
      sourceId,
      tenantId,
    );
    await prisma.close();

    const app = await createApiApp(config, { shutdownHooks: false });
    await app.listen(0, '127.0.0.1');
    const hubUrl = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    const pool = new pg.Pool({ connectionString: url, max: config.database.poolSize });
    pool.on('error', () => undefined);
    // Reads see the hub client's externalIds, as the hub's reads do (its source exists after the load).
    const ids: { tenantId: string; sourceId: string; readSourceId: string } = {
      tenantId,
      sourceId,
      readSourceId: sourceId,
    };
    const bare = http.createServer((req, res) => void baseline(pool, ids, req, res));
    await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
    const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;
    const auth = { authorization: `Bearer ${issued.token}`, 'content-type': 'application/scim+json' };

    try {
      const size = ctx.size;
      // Population: through /Bulk (measured), up to the size's user count.
      const target = USERS[size];
      ctx.log(`scim-inbound: loading ${target} users through /Bulk (${BULK_SIZE} per request)`);
      const bulkStarted = performance.now();
      let loaded = 0;
      const hub = new Pool(hubUrl, { connections: 8 });
      const bulkWorker = async () => {
        while (loaded < target) {
          const start = loaded;
          loaded += BULK_SIZE;
          const ops = Array.from({ length: Math.min(BULK_SIZE, target - start) }, (_, i) => ({
            method: 'POST',
            path: '/Users',
            bulkId: `b${start + i}`,
            data: {
              schemas: [USER_URN],
              userName: `user${start + i}@example.com`,
              externalId: `e${start + i}`,
              name: { givenName: 'Given', familyName: `F${start + i}` },
            },
          }));
          const r = await hub.request({
            method: 'POST',
            path: '/scim/v2/Bulk',
            headers: auth,
            body: JSON.stringify({
              schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
              Operations: ops,
            }),
          });
          const body = (await r.body.json()) as { Operations: Array<{ status: string }> };
          if (r.statusCode !== 200 || body.Operations.some((o) => o.status !== '201'))
            throw new Error(`bulk failed: ${r.statusCode}`);
        }
      };
      await Promise.all(Array.from({ length: 8 }, bulkWorker));
      const bulkPerSecond = target / ((performance.now() - bulkStarted) / 1000);
      await hub.close();
      await pool.query('ANALYZE');
      ids.readSourceId = (
        await pool.query<{ id: string }>(`SELECT id FROM sources WHERE tenant_id = $1 AND name = $2`, [
          tenantId,
          `scim-client:${issued.clientId}`,
        ])
      ).rows[0]!.id;

      ctx.log('scim-inbound: single creates');
      const creates = SINGLE_CREATES[size];
      const hubCreate = await postLoad(hubUrl, '/scim/v2/Users', auth, creates, (i) => ({
        schemas: [USER_URN],
        userName: `single${i}@example.com`,
        externalId: `s${i}`,
      }));
      const bareCreate = await postLoad(bareUrl, '/create', {}, creates, (i) => ({
        schemas: [USER_URN],
        userName: `bare${i}@example.com`,
        externalId: `s${i}`,
      }));

      // Reads measure a settled database, as a directory of 100,000 users is in production: the
      // writes' dead tuples vacuumed, hint bits set, their WAL checkpointed (not during the timing).
      await pool.query('VACUUM ANALYZE');
      await pool.query('CHECKPOINT');

      const { rows } = await pool.query<{ id: string }>(
        `SELECT id FROM resources WHERE tenant_id = $1 ORDER BY id LIMIT 1 OFFSET $2`,
        [tenantId, Math.floor(target / 2)],
      );
      const id = rows[0]!.id;
      const reads = READS[size];
      const load = (base: string, path: string, headers: Record<string, string> = {}) =>
        httpLoad(base, { requests: reads, concurrency: CONCURRENCY, path, headers });
      ctx.log('scim-inbound: reads');
      await load(hubUrl, `/scim/v2/Users/${id}`, auth); // warm-up
      const hubGet = await profiled('scim-inbound-get', () => load(hubUrl, `/scim/v2/Users/${id}`, auth));
      const bareGet = await load(bareUrl, `/get?id=${id}`);
      const name = `user${Math.floor(target / 3)}@example.com`;
      const filterPath = `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${name.toUpperCase()}"`)}`;
      const hubFilter = await profiled('scim-inbound-filter', () => load(hubUrl, filterPath, auth));
      const bareFilter = await load(bareUrl, `/filter?name=${encodeURIComponent(name)}`);
      // Latency without queueing: one caller at a time (at 32 callers p99 is mostly waiting in line).
      const alone = (base: string, path: string, headers: Record<string, string> = {}) =>
        httpLoad(base, { requests: Math.ceil(reads / 5), concurrency: 1, path, headers });
      const hubFilterAlone = await alone(hubUrl, filterPath, auth);
      const bareFilterAlone = await alone(bareUrl, `/filter?name=${encodeURIComponent(name)}`);
      // Latency at a steady load of half the hub's own measured capacity (open loop): what callers
      // see in normal operation; the 32-caller figure above is latency at saturation (queueing).
      const steadyRate = Math.max(20, Math.round(hubFilter.perSecond / 2));
      const steady = (base: string, path: string, headers: Record<string, string> = {}) =>
        httpRateLoad(base, {
          perSecond: steadyRate,
          requests: Math.min(reads, steadyRate * 10),
          path,
          headers,
        });
      const steadyFrom = new Date();
      const { value: hubFilterSteady, stalls: hubStalls } = await watchMainThread(() =>
        steady(hubUrl, filterPath, auth),
      );
      ctx.log(
        `scim-inbound: hub at ${steadyRate} req/s: ${describeStalls(hubStalls)}; the generator sent late by ${hubFilterSteady.sendLagP99Ms?.toFixed(1)} ms (p99)`,
      );
      baselineDbMs.length = 0;
      const { value: bareFilterSteady, stalls: bareStalls } = await watchMainThread(() =>
        steady(bareUrl, `/filter?name=${encodeURIComponent(name)}`),
      );
      ctx.log(
        `scim-inbound: bare at ${steadyRate} req/s: ${describeStalls(bareStalls)}; the generator sent late by ${bareFilterSteady.sendLagP99Ms?.toFixed(1)} ms (p99)`,
      );
      // A page of 100 counts every user (totalResults): PostgreSQL's work, the same on both sides,
      // so fewer requests say as much.
      const pages = (base: string, path: string, headers: Record<string, string> = {}) =>
        httpLoad(base, { requests: Math.ceil(reads / 10), concurrency: CONCURRENCY, path, headers });
      const db = [...baselineDbMs].sort((a, b) => a - b);
      ctx.log(
        `scim-inbound: bare at ${steadyRate} req/s: its query took p99 ${db[Math.floor(db.length * 0.99)]?.toFixed(1)} ms, max ${db[db.length - 1]?.toFixed(1)} ms in pg; slow answers (> 50 ms) fell in ${bareFilterSteady.slowWindows} windows of 100 ms (hub: ${hubFilterSteady.slowWindows})`,
      );
      const maintenance = await pool.query<{ relname: string }>(
        `SELECT relname FROM pg_stat_user_tables WHERE greatest(last_autovacuum, last_autoanalyze) >= $1`,
        [steadyFrom],
      );
      if (maintenance.rows.length)
        ctx.log(
          `scim-inbound: autovacuum ran during the steady runs on ${maintenance.rows.map((r) => r.relname).join(', ')}`,
        );
      const hubList = await pages(hubUrl, '/scim/v2/Users?startIndex=1&count=100', auth);
      const bareList = await pages(bareUrl, '/list');
      for (const [what, r] of [
        ['hub get', hubGet],
        ['hub filter', hubFilter],
        ['hub list', hubList],
        ['hub filter, 1 caller', hubFilterAlone],
        ['hub filter, steady', hubFilterSteady],
        ['bare', bareGet],
      ] as const)
        if (r.errors) throw new Error(`${what}: ${r.errors} failed requests`);

      const row = (
        metric: string,
        value: LoadResult | number,
        base: LoadResult | number | undefined,
        unit: string,
        aim?: BenchRow['aim'],
      ): BenchRow => ({
        benchmark: 'scim-inbound',
        metric,
        value: typeof value === 'number' ? value : value.perSecond,
        unit,
        ...(base !== undefined ? { baseline: typeof base === 'number' ? base : base.perSecond } : {}),
        ...(aim ? { aim } : {}),
      });
      return [
        row(`POST /Users (single, ${creates})`, hubCreate, bareCreate, 'req/s', { ratioAtLeast: 0.5 }),
        row(`POST /Bulk creates (${target} users)`, bulkPerSecond, bareCreate.perSecond, 'users/s', {
          ratioAtLeast: 0.5,
        }),
        row('GET /Users/{id}', hubGet, bareGet, 'req/s', { ratioAtLeast: 0.5 }),
        row(`filter userName eq (${target} users)`, hubFilter, bareFilter, 'req/s', { ratioAtLeast: 0.5 }),
        {
          benchmark: 'scim-inbound',
          metric: 'filter userName eq p50',
          value: hubFilter.p50Ms,
          unit: 'ms',
          baseline: bareFilter.p50Ms,
        },
        {
          benchmark: 'scim-inbound',
          metric: `filter userName eq p99 at saturation (${CONCURRENCY} callers)`,
          value: hubFilter.p99Ms,
          unit: 'ms',
          baseline: bareFilter.p99Ms,
        },
        {
          benchmark: 'scim-inbound',
          metric: `filter userName eq p50 at ${steadyRate} req/s (half capacity)`,
          value: hubFilterSteady.p50Ms,
          unit: 'ms',
          baseline: bareFilterSteady.p50Ms,
        },
        {
          benchmark: 'scim-inbound',
          metric: `filter userName eq p99 at ${steadyRate} req/s (half capacity)`,
          value: hubFilterSteady.p99Ms,
          unit: 'ms',
          baseline: bareFilterSteady.p99Ms,
          // Beside the bare handler, not an absolute bound: under open-loop load on this shared
          // 2-core machine one scheduling stall of ~100 ms delays 1 % of the requests, and the bare
          // handler's own p99 here varied from 11 to 233 ms between runs (with no statement over
          // 40 ms in PostgreSQL's log). The hub must add no tail of its own; the absolute 20 ms aim
          // is the 1-caller row below.
          aim: { ratioAtMost: 2 },
        },
        {
          benchmark: 'scim-inbound',
          metric: 'filter userName eq p99, 1 caller',
          value: hubFilterAlone.p99Ms,
          unit: 'ms',
          baseline: bareFilterAlone.p99Ms,
          aim: { valueAtMost: 20 },
        },
        row('list page (count=100)', hubList, bareList, 'req/s', { ratioAtLeast: 0.5 }),
      ];
    } finally {
      await app.close();
      await new Promise((r) => bare.close(r));
      await pool.end();
    }
  },
};

async function postLoad(
  base: string,
  path: string,
  headers: Record<string, string>,
  requests: number,
  body: (i: number) => unknown,
): Promise<LoadResult> {
  const pool = new Pool(base, { connections: CONCURRENCY });
  const latencies: number[] = [];
  let issued = 0;
  let errors = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (issued < requests) {
        const i = issued++;
        const t = performance.now();
        const res = await pool.request({
          method: 'POST',
          path,
          headers: { 'content-type': 'application/scim+json', ...headers },
          body: JSON.stringify(body(i)),
        });
        await res.body.dump();
        if (res.statusCode !== 201) errors++;
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  if (errors) throw new Error(`${errors} creates failed at ${base}${path}`);
  return loadResult(latencies, errors, elapsed);
}

/** How long the baseline's list queries took in Postgres (read for the steady-rate diagnosis). */
const baselineDbMs: number[] = [];

/** The same SQL as the hub, without the framework: the "limit" the hub is compared to. */
async function baseline(
  pool: pg.Pool,
  { tenantId, sourceId, readSourceId }: { tenantId: string; sourceId: string; readSourceId: string },
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const u = new URL(req.url ?? '/', 'http://x');
  const send = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/scim+json' });
    res.end(JSON.stringify(body));
  };
  // The hub's read SQL (`scimReadSql`, what ScimResourceRepository runs), statement for statement:
  // one statement per read (resource + externalId + derived groups; or count + page), with the
  // predicate filterToSql gives `userName eq` on Users.
  if (u.pathname === '/get') {
    const q = scimReadSql.get(tenantId, 'User', u.searchParams.get('id') ?? '', readSourceId, true);
    const { rows } = await pool.query(q);
    return send(200, rows[0]);
  }
  if (u.pathname === '/filter' || u.pathname === '/list') {
    const name = u.searchParams.get('name');
    const params = new SqlParams([tenantId, 'User']);
    const where = name ? `(r.name_key = ${params.add(name.toLowerCase(), 'text')})` : 'true';
    const q = scimReadSql.page({ params, where, sourceId: readSourceId, limit: 100, offset: 0 }, false, true);
    const t = performance.now();
    const { rows } = await pool.query<{ total: string }>(q);
    baselineDbMs.push(performance.now() - t);
    return send(200, { totalResults: Number(rows[0]?.total ?? 0), Resources: rows });
  }
  if (u.pathname === '/create') {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
      userName: string;
      externalId: string;
      schemas: string[];
    };
    const id = randomUUID();
    const attributes = JSON.stringify({ schemas: body.schemas, userName: body.userName });
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO resources (id, tenant_id, resource_type, attributes, version, name_key, created_at, updated_at)
         VALUES ($1, $2, 'User', $3, 1, $4, now(), now()) ON CONFLICT (tenant_id, resource_type, name_key) DO NOTHING`,
        [id, tenantId, attributes, body.userName.toLowerCase()],
      );
      await client.query(
        `INSERT INTO contributions (id, tenant_id, source_id, resource_type, source_key, external_id, resource_id, attributes, hash, asserted_at, created_at, updated_at)
         VALUES ($1, $2, $3, 'User', $4, $5, $8, $6, $7, now(), now(), now())`,
        [
          randomUUID(),
          tenantId,
          sourceId,
          id,
          body.externalId,
          attributes,
          createHash('sha256').update(attributes).digest('hex'),
          id,
        ],
      );
      await client.query(
        `INSERT INTO outbox (tenant_id, resource_type, resource_id, version, kind) VALUES ($1, 'User', $2, 1, 'created')`,
        [tenantId, id],
      );
      await client.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`audit:${tenantId}`]);
      const last = await client.query(
        `SELECT hash FROM audit_events WHERE tenant_id = $1 ORDER BY seq DESC LIMIT 1`,
        [tenantId],
      );
      const at = new Date();
      const entry = {
        actorType: 'api_client' as const,
        action: 'scim.User.created',
        resourceType: 'User',
        resourceId: id,
        sourceId,
        detail: { changed: { userName: { to: body.userName } } },
      };
      const prev = (last.rows[0]?.hash as string | undefined) ?? null;
      await client.query(
        `INSERT INTO audit_events (tenant_id, at, actor_type, source_id, action, resource_type, resource_id, detail, prev_hash, hash)
         VALUES ($1, $2, 'api_client', $3, $4, 'User', $5, $6, $7, $8)`,
        [
          tenantId,
          at,
          sourceId,
          entry.action,
          id,
          JSON.stringify(entry.detail),
          prev,
          auditHash(prev, tenantId, at, entry),
        ],
      );
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
    return send(201, { id, userName: body.userName });
  }
  send(404, {});
}
