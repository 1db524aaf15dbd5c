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
  RECOMPUTE_BATCH,
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
 * and plain batched updates of N golden rows. And the floor between the two: the rows the engine
 * writes for the same contributions (ADR 0203, "The floor"), as plain set-based statements into
 * the engine's own tables, with none of its reads, locks or resolution.
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

      // The floor: the rows the engine must write for these contributions, as plain statements.
      ctx.log("aggregation: floor (the engine's writes without its reads and resolution)");
      const floorSources = [
        await make('Floor HR', true),
        await make('Floor LDAP', false),
        await make('Floor Mail', false),
      ];
      const provenance = await sampleProvenance(pool, tenantId);
      started = performance.now();
      const floorIds = await floorWrites(pool, tenantId, floorSources, n, provenance, (stage, i) => ({
        source: { schemas: [CORE], ...rows[order[stage]!]!(i) },
        golden: floorGolden(rows, order, stage, i),
      }));
      const floorSeconds = (performance.now() - started) / 1000;
      started = performance.now();
      await floorRecompute(pool, tenantId, floorIds, provenance, (i) => floorGolden(rows, order, 2, i));
      const floorRecomputeSeconds = (performance.now() - started) / 1000;
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
          // What the aim above allows at most: no engine writes these rows faster than this.
          benchmark: 'aggregation',
          metric: 'floor: the same writes as plain statements (no reads, no resolution), contributions/s',
          value: contributions / floorSeconds,
          unit: '/s',
          baseline: contributions / plainSeconds,
        },
        {
          benchmark: 'aggregation',
          metric: 'engine against its floor, contributions/s',
          value: contributions / engineSeconds,
          unit: '/s',
          baseline: contributions / floorSeconds,
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
          metric: 'floor of the recompute: its writes as plain statements, records/s',
          value: n / floorRecomputeSeconds,
          unit: '/s',
          baseline: n / plainRecomputeSeconds,
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

type SourceRows = Record<string, (i: number) => Record<string, unknown>>;

/** The golden record the engine holds for identity i after `stage` of HR → LDAP → Mail (its rules). */
function floorGolden(
  rows: SourceRows,
  order: readonly string[],
  stage: number,
  i: number,
): Record<string, unknown> {
  const [hr, ldap, mail] = order.map((id) => rows[id]!(i));
  const golden: Record<string, unknown> = { schemas: [CORE, ENT], ...hr!, userName: `floor-user${i}` };
  if (stage >= 1) Object.assign(golden, { emails: ldap!['emails'], phoneNumbers: ldap!['phoneNumbers'] });
  if (stage >= 2) golden['emails'] = mail!['emails'];
  return golden;
}

/** One golden record's provenance document as the engine stored it (every floor row writes one of its size). */
async function sampleProvenance(pool: pg.Pool, tenantId: TenantId): Promise<unknown> {
  const { rows } = await pool.query<{ entries: unknown }>(
    'SELECT entries FROM resource_provenance WHERE tenant_id = $1 LIMIT 1',
    [tenantId],
  );
  return rows[0]!.entries;
}

/**
 * Per contribution, what the engine's batch path writes, in one transaction per batch: a creating
 * source's contribution inserts a golden record (with provenance, a `created` outbox row and its
 * match key); a joining one updates it (new version, provenance, `updated` outbox row). Plus the
 * contribution itself. Same batches and concurrency as the engine.
 */
async function floorWrites(
  pool: pg.Pool,
  tenantId: TenantId,
  sources: readonly string[],
  n: number,
  provenance: unknown,
  rowOf: (stage: number, i: number) => { source: Record<string, unknown>; golden: Record<string, unknown> },
): Promise<string[]> {
  const ids = Array.from({ length: n }, () => randomUUID());
  const inserts = `
    ins AS (INSERT INTO resources (id, tenant_id, resource_type, attributes, version, name_key, lifecycle_state, created_at, updated_at)
            SELECT u.id, $1::uuid, 'User', u.g, 1, u.n, 'active', now(), now() FROM u RETURNING id, version),
    prov AS (INSERT INTO resource_provenance (resource_id, tenant_id, entries, updated_at) SELECT u.id, $1::uuid, u.p, now() FROM u),
    keys AS (INSERT INTO engine_match_keys (tenant_id, resource_type, matcher, value, resource_id)
             SELECT $1::uuid, 'User', 'floor', u.k, u.id FROM u),
    ob AS (INSERT INTO outbox (tenant_id, resource_type, resource_id, version, kind) SELECT $1::uuid, 'User', id, version, 'created' FROM ins)`;
  const updates = `
    upd AS (UPDATE resources r SET attributes = u.g, version = r.version + 1, updated_at = now()
            FROM u WHERE r.tenant_id = $1::uuid AND r.id = u.id RETURNING r.id, r.version),
    prov AS (INSERT INTO resource_provenance (resource_id, tenant_id, entries, updated_at) SELECT u.id, $1::uuid, u.p, now() FROM u
             ON CONFLICT (resource_id) DO UPDATE SET entries = EXCLUDED.entries, updated_at = now()),
    ob AS (INSERT INTO outbox (tenant_id, resource_type, resource_id, version, kind) SELECT $1::uuid, 'User', id, version, 'updated' FROM upd)`;
  for (const [stage, sourceId] of sources.entries())
    await inParallel(n, async (from, to) => {
      const document = JSON.stringify(
        range(from, to).map((i) => {
          const { source, golden } = rowOf(stage, i);
          return {
            id: ids[i],
            k: `${i}`,
            c: source,
            h: `h${i}`,
            g: golden,
            n: `floor-user${i}`,
            p: provenance,
          };
        }),
      );
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(
          `WITH u AS MATERIALIZED (SELECT * FROM jsonb_to_recordset($2::jsonb) AS u(id uuid, k text, c jsonb, h text, g jsonb, n text, p jsonb)),
           ${stage === 0 ? inserts : updates}
           INSERT INTO contributions (id, tenant_id, source_id, resource_type, source_key, resource_id, attributes, hash, asserted_at, created_at, updated_at)
           SELECT gen_random_uuid(), $1::uuid, $3::uuid, 'User', u.k, u.id, u.c, u.h, now(), now(), now() FROM u`,
          [tenantId, document, sourceId],
        );
        await client.query('COMMIT');
      } finally {
        client.release();
      }
    });
  return ids;
}

/** What a recompute writes per changed record (new version, provenance, outbox row), in its batches. */
async function floorRecompute(
  pool: pg.Pool,
  tenantId: TenantId,
  ids: readonly string[],
  provenance: unknown,
  goldenOf: (i: number) => Record<string, unknown>,
): Promise<void> {
  const sorted = ids.map((id, i) => ({ id, i })).sort((a, b) => (a.id < b.id ? -1 : 1));
  for (let at = 0; at < sorted.length; at += RECOMPUTE_BATCH) {
    const document = JSON.stringify(
      sorted.slice(at, at + RECOMPUTE_BATCH).map(({ id, i }) => ({ id, g: goldenOf(i), p: provenance })),
    );
    await pool.query(
      `WITH u AS MATERIALIZED (SELECT * FROM jsonb_to_recordset($2::jsonb) AS u(id uuid, g jsonb, p jsonb)),
       upd AS (UPDATE resources r SET attributes = u.g, version = r.version + 1, updated_at = now()
               FROM u WHERE r.tenant_id = $1::uuid AND r.id = u.id RETURNING r.id, r.version),
       prov AS (INSERT INTO resource_provenance (resource_id, tenant_id, entries, updated_at) SELECT u.id, $1::uuid, u.p, now() FROM u
                ON CONFLICT (resource_id) DO UPDATE SET entries = EXCLUDED.entries, updated_at = now())
       INSERT INTO outbox (tenant_id, resource_type, resource_id, version, kind) SELECT $1::uuid, 'User', id, version, 'updated' FROM upd`,
      [tenantId, document],
    );
  }
}
