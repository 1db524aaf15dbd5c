import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { createApiApp } from '../apps/api/src/create-api-app';
import { benchTenant, httpLoad, type Benchmark, type BenchRow } from './harness';

const REQUESTS = { tiny: 300, small: 5_000, full: 30_000 };
const CONCURRENCY = 32;

/**
 * The cost of the API stack on an authenticated request (guard, token check, tenant lookup,
 * JSON): the hub's GET /admin/v1/tenant beside a bare node:http handler that runs the same two
 * queries through pg and answers the same JSON, both measured here, now.
 */
export const apiAuthBenchmark: Benchmark = {
  name: 'api-auth',
  async run(ctx): Promise<BenchRow[]> {
    const { url, config, prisma, tenant: provisioned } = await benchTenant(ctx, 'api-auth');
    const { adminToken, adminClientId, tenant } = provisioned;
    await prisma.close();

    const app = await createApiApp(config, { shutdownHooks: false });
    await app.listen(0, '127.0.0.1');
    const hubUrl = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;

    const pool = new pg.Pool({ connectionString: url, max: config.database.poolSize });
    pool.on('error', () => undefined); // connections end when the benchmark's Postgres stops
    const bare = http.createServer((_req, res) => {
      void (async () => {
        const client = await pool.query(
          'SELECT id, tenant_id, name, scopes, source_id, secret_hash, revoked_at FROM api_clients WHERE id = $1',
          [adminClientId],
        );
        const t = await pool.query('SELECT id, slug, name, created_at FROM tenants WHERE id = $1', [
          client.rows[0].tenant_id,
        ]);
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({ tenant: t.rows[0], client: { id: client.rows[0].id, name: client.rows[0].name } }),
        );
      })();
    });
    await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
    const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;

    const requests = REQUESTS[ctx.size];
    const load = {
      requests,
      concurrency: CONCURRENCY,
      path: '/admin/v1/tenant',
      headers: { authorization: `Bearer ${adminToken}` },
    };
    ctx.log(`api-auth: ${requests} requests at concurrency ${CONCURRENCY} (tenant ${tenant.slug})`);
    await httpLoad(hubUrl, { ...load, requests: Math.min(200, requests) }); // warm-up
    await httpLoad(bareUrl, { ...load, requests: Math.min(200, requests) });
    const baseline = await httpLoad(bareUrl, load);
    const hub = await httpLoad(hubUrl, load);
    await app.close();
    await new Promise((r) => bare.close(r));
    await pool.end();
    if (hub.errors || baseline.errors)
      throw new Error(`requests failed: hub ${hub.errors}, baseline ${baseline.errors}`);
    return [
      {
        benchmark: 'api-auth',
        metric: 'authenticated GET /admin/v1/tenant',
        value: hub.perSecond,
        unit: 'req/s',
        baseline: baseline.perSecond,
      },
      {
        benchmark: 'api-auth',
        metric: 'latency p50',
        value: hub.p50Ms,
        unit: 'ms',
        baseline: baseline.p50Ms,
      },
      {
        benchmark: 'api-auth',
        metric: 'latency p99',
        value: hub.p99Ms,
        unit: 'ms',
        baseline: baseline.p99Ms,
      },
    ];
  },
};
