import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import {
  AggregationModule,
  BatchAggregationService,
  EngineAdminService,
  EngineConfigService,
  RecomputeService,
} from '@hub/aggregation';
import { HubConfigModule } from '@hub/config';
import {
  EngineStore,
  PersistenceModule,
  SourceRepository,
  asTenantId,
  type TenantId,
} from '@hub/persistence';
import { benchTenant, profiled, type Benchmark, type BenchRow } from './harness';

const IDENTITIES = { tiny: 1_000, small: 10_000, full: 100_000 };
const BATCH = 500;
/** Batches in flight at once (different identities, so they do not wait for each other's locks). */
const CONCURRENCY = 4;
const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

/**
 * The aggregation engine on PostgreSQL (ADR 0203): contributions per second for N identities from
 * three sources (HR creates, LDAP and the mail service join by employeeNumber), through the
 * batch path (one transaction per 500 contributions: contributions, golden records, provenance,
 * match keys, outbox rows, one audit row); and the time of a rule-change recompute over all of
 * them. Baselines, same run, same rows: plain batched upserts into a table of the same shape,
 * and plain batched updates of N golden rows.
 */
export const aggregationBenchmark: Benchmark = {
  name: 'aggregation',
  async run(ctx): Promise<BenchRow[]> {
    const n = IDENTITIES[ctx.size];
    const {
      url,
      config,
      prisma,
      tenant: provisioned,
    } = await benchTenant(ctx, 'aggregation', {
      DATABASE_POOL_SIZE: String(CONCURRENCY + 2),
    });
    const { tenant } = provisioned;
    const tenantId = asTenantId(tenant.id);
    await prisma.close();

    @Module({ imports: [HubConfigModule.forRoot(config), PersistenceModule, AggregationModule] })
    class BenchModule {}
    const app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
    try {
      const sources = app.get(SourceRepository);
      const make = async (name: string, create: boolean) =>
        (
          await sources.create(tenantId, {
            name,
            kind: 'rest',
            roles: { User: { create, update: true } },
            config: {},
            enabled: true,
          })
        ).id;
      const hr = await make('HR', true);
      const ldap = await make('LDAP', false);
      const mail = await make('Mail', false);
      const configs = app.get(EngineConfigService);
      await configs.save(tenantId, 'User', {
        authority: {
          rules: [
            { path: 'title', policy: 'priority', sources: [hr, ldap] },
            { path: 'emails[type eq "work"]', policy: 'priority', sources: [mail, ldap] },
            { path: `${ENT}:department`, policy: 'exclusive', sources: [hr] },
          ],
          defaultRule: { policy: 'priority', sources: [hr, ldap, mail] },
          transforms: [],
        },
        correlation: [{ kind: 'link' }, { kind: 'attribute', path: `${ENT}:employeeNumber`, normalise: [] }],
      });

      const rows = {
        [hr]: (i: number) => ({
          userName: `user${i}`,
          name: { givenName: `Given${i}`, familyName: `Family${i}` },
          title: `Title ${i % 50}`,
          [ENT]: { employeeNumber: `E${i}`, department: `Dept ${i % 20}` },
        }),
        [ldap]: (i: number) => ({
          title: `LDAP title ${i % 7}`,
          emails: [{ value: `user${i}@ldap.example.com`, type: 'work' }],
          phoneNumbers: [{ value: `+1 555 ${String(i).padStart(7, '0')}`, type: 'work' }],
          [ENT]: { employeeNumber: `E${i}` },
        }),
        [mail]: (i: number) => ({
          emails: [{ value: `user${i}@mail.example.com`, type: 'work', primary: true }],
          [ENT]: { employeeNumber: `E${i}` },
        }),
      };
      const order = [hr, ldap, mail];

      // The engine: three phases (HR creates, then LDAP and mail join), CONCURRENCY batches at once.
      const batches = app.get(BatchAggregationService);
      const store = app.get(EngineStore);
      ctx.log(`aggregation: ${n} identities × 3 sources through the engine`);
      let started = performance.now();
      await profiled('aggregation-engine', async () => {
        for (const sourceId of order)
          await inParallel(n, async (from, to) => {
            await store.transaction(async (tx) => {
              const cfg = await configs.get(tenantId, 'User', tx);
              await batches.assertBatch(
                tx,
                { tenantId, sourceId, actor: { type: 'source', id: sourceId }, channel: 'bench' },
                cfg,
                range(from, to).map((i) => ({
                  resourceType: 'User',
                  sourceKey: `${i}`,
                  externalId: null,
                  attributes: { schemas: [CORE], ...rows[sourceId]!(i) },
                })),
              );
            });
          });
      });
      const engineSeconds = (performance.now() - started) / 1000;
      const golden = await count(store, tenantId);
      if (golden !== n) throw new Error(`expected ${n} golden records, found ${golden}`);

      // Rule change: LDAP outranks HR for title; recompute every record.
      ctx.log('aggregation: rule-change recompute');
      const { recompute } = await app.get(EngineAdminService).saveRules(
        tenantId,
        'User',
        {
          authority: {
            rules: [
              { path: 'title', policy: 'priority', sources: [ldap, hr] },
              { path: 'emails[type eq "work"]', policy: 'priority', sources: [mail, ldap] },
              { path: `${ENT}:department`, policy: 'exclusive', sources: [hr] },
            ],
            defaultRule: { policy: 'priority', sources: [hr, ldap, mail] },
            transforms: [],
          },
        },
        { clientId: 'bench' },
      );
      started = performance.now();
      await app.get(RecomputeService).run(tenantId, recompute!.id);
      const recomputeSeconds = (performance.now() - started) / 1000;

      // Baselines: the same rows as plain batched upserts, and N golden rows rewritten in batches.
      const pool = new pg.Pool({ connectionString: url, max: CONCURRENCY + 2 });
      // pool.end() resolves before its sockets close; Postgres stopping right after must not crash the run.
      pool.on('error', () => undefined);
      await pool.query(`CREATE TABLE bench_plain (source_id uuid, source_key text, attributes jsonb, hash text,
        asserted_at timestamptz, PRIMARY KEY (source_id, source_key))`);
      await pool.query(`CREATE TABLE bench_golden (id uuid PRIMARY KEY, attributes jsonb, version int)`);
      started = performance.now();
      for (const sourceId of order)
        await inParallel(n, async (from, to) => {
          const ids = range(from, to);
          await pool.query(
            `INSERT INTO bench_plain SELECT $1::uuid, u.k, u.a, u.h, now() FROM unnest($2::text[], $3::jsonb[], $4::text[]) AS u(k, a, h)
             ON CONFLICT (source_id, source_key) DO UPDATE SET attributes = EXCLUDED.attributes, hash = EXCLUDED.hash, asserted_at = now()`,
            [
              sourceId,
              ids.map(String),
              ids.map((i) => JSON.stringify({ schemas: [CORE], ...rows[sourceId]!(i) })),
              ids.map(String),
            ],
          );
        });
      const plainSeconds = (performance.now() - started) / 1000;
      const goldenIds = Array.from({ length: n }, () => randomUUID()).sort();
      await pool.query(`INSERT INTO bench_golden SELECT id, '{}'::jsonb, 1 FROM unnest($1::uuid[]) AS id`, [
        goldenIds,
      ]);
      started = performance.now();
      for (let i = 0; i < n; i += 200) {
        const slice = goldenIds.slice(i, i + 200);
        await pool.query(
          `UPDATE bench_golden g SET attributes = u.a, version = g.version + 1 FROM unnest($1::uuid[], $2::jsonb[]) AS u(id, a) WHERE g.id = u.id`,
          [slice, slice.map((_, j) => JSON.stringify({ schemas: [CORE], ...rows[hr]!(i + j) }))],
        );
      }
      const plainRecomputeSeconds = (performance.now() - started) / 1000;
      await pool.end();

      const contributions = 3 * n;
      return [
        {
          benchmark: 'aggregation',
          metric: `contributions/s (${n} identities × 3 sources)`,
          value: contributions / engineSeconds,
          unit: '/s',
          baseline: contributions / plainSeconds,
          aim: { ratioAtLeast: 1 / 3 },
        },
        {
          benchmark: 'aggregation',
          metric: `rule-change recompute (${n} records), records/s`,
          value: n / recomputeSeconds,
          unit: '/s',
          baseline: n / plainRecomputeSeconds,
          aim: { ratioAtLeast: 1 / 3 },
        },
        {
          benchmark: 'aggregation',
          metric: `rule-change recompute (${n} records), time`,
          value: recomputeSeconds,
          unit: 's',
          baseline: plainRecomputeSeconds,
        },
      ];
    } finally {
      await app.close();
    }
  },
};

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, k) => from + k);
}

/** Runs `fn` over [0, n) in slices of BATCH, CONCURRENCY slices at a time. */
async function inParallel(n: number, fn: (from: number, to: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const from = next;
      next = Math.min(n, next + BATCH);
      await fn(from, next);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

async function count(store: EngineStore, tenantId: TenantId): Promise<number> {
  return store.countGolden(store.db, tenantId, 'User');
}
