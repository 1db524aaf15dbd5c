import 'reflect-metadata';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { AggregationModule } from '@hub/aggregation';
import { HUB_NODE_FLAGS, HubConfigModule, loadConfig, type HubConfig } from '@hub/config';
import { LdapConnector, type LdapConnectorConfig } from '@hub/connectors';
import { PLANET_EXPRESS, startSlapd, type RunningSlapd } from '@hub/embedded';
import {
  PersistenceModule,
  SourceRepository,
  SyncRunRepository,
  asTenantId,
  tenantBootstrapRepositories,
  type SyncRunRecord,
  type TenantId,
} from '@hub/persistence';
import { QueueModule } from '@hub/queue';
import { ENTERPRISE_USER_URN } from '@hub/scim';
import { SecretBox, SecretsModule } from '@hub/secrets';
import { SyncModule, SyncRunner, SyncWithdrawals, WITHDRAW_BATCH, sourceSecretBinding } from '@hub/sync';
import { provisionTenant } from '@hub/auth';
import { benchTenant, profiled, type Benchmark, type BenchRow } from './harness';

const ENTRIES = { tiny: 1_000, small: 10_000, full: 100_000 };
const GROUPS = { tiny: 4, small: 20, full: 50 };
const PAGE = 500;
/** The directory, and beside it a tenth of it (same shape: users, then groups of them). */
const PEOPLE = `ou=sync,${PLANET_EXPRESS.baseDn}`;
const TENTH = `ou=tenth,${PLANET_EXPRESS.baseDn}`;
/** Live heap is sampled (after a forced full collection) this often during a measured run. */
const SAMPLE_MS = 500;
const CHILD_ENV = 'SCIM_HUB_BENCH_SYNC_CHILD';

/** What a measured run reports from its own process. */
interface ChildResult {
  /** The run's wall time minus the forced collections' pauses. */
  ms: number;
  /** Live heap (after a full GC) just before the run, and its high-water mark during it. */
  liveBeforeMb: number;
  livePeakMb: number;
  /** The process's resident set high-water mark (boot included: both sizes pay the same boot). */
  maxRssMb: number;
  /** High-water marks of the parts of the RSS (sampled every 100 ms, between collections). */
  peaks: { heapTotalMb: number; externalMb: number; arrayBuffersMb: number };
  samples: number;
  run: SyncRunRecord;
}

/**
 * A whole LDAP sync run (ADR 0503) of a generated directory through the real runner: read, map,
 * validate, write through the engine's batch path, progress after every page. Rows:
 * - whole run in entries/s beside the connector's read-and-map rate over the same entries in the
 *   same run (reading must not be the bottleneck: the ratio stays well below 1), and beside plain
 *   batched upserts of the same number of rows (the aggregation benchmark's baseline);
 * - a delta sync after 100 modifications: the hub's time (warm process, as a worker is);
 * - withdrawals (the deletions of a run, through the engine) batched per transaction as the
 *   runner applies them, beside one transaction per key;
 * - memory: each full run is its own process (`--expose-gc`), so its live heap — sampled after a
 *   forced full collection every 500 ms — and its RSS high-water mark are the run's alone. The
 *   directory beside a tenth of it (same shape, groups included): flat means memory is bounded by
 *   the batch, not by the directory.
 * The connector against `ldapsearch` is the ldap-read benchmark's row.
 */
export const ldapSyncBenchmark: Benchmark = {
  name: 'ldap-sync',
  async run(ctx): Promise<BenchRow[]> {
    const n = ENTRIES[ctx.size];
    const groups = GROUPS[ctx.size];
    const ldifFile = path.join(ctx.workDir, 'sync-directory.ldif');
    await writeDirectory(ldifFile, [
      { ou: PEOPLE, users: n, groups },
      { ou: TENTH, users: n / 10, groups: Math.max(1, groups / 10) },
    ]);
    const slapd = await startSlapd({ bulkLdifFile: ldifFile, sizeLimit: 1000 });
    const env = {
      SECRETS_KEY: randomBytes(32).toString('base64'),
      DATABASE_POOL_SIZE: '6',
    };
    const { url, config, prisma, tenant } = await benchTenant(ctx, 'ldap-sync', env);
    const second = await provisionTenant(tenantBootstrapRepositories(prisma), `ldap-sync-tenth`);
    await prisma.close();
    const childEnv = {
      DATABASE_URL: url,
      REDIS_URL: ctx.redis.url,
      LOG_LEVEL: 'silent',
      QUEUE_PREFIX: 'bldap-sync',
      ...env,
    };

    const app = await syncApp(config);
    try {
      const sources = app.get(SourceRepository);
      const box = app.get(SecretBox);
      const runs = app.get(SyncRunRepository);
      const runner = app.get(SyncRunner);
      const makeSource = async (tenantId: TenantId, name: string, base: string) =>
        (
          await sources.create(
            tenantId,
            {
              name,
              kind: 'ldap',
              roles: { User: { create: true, update: true }, Group: { create: true, update: true } },
              config: connectorConfig(slapd, base) as unknown as Record<string, unknown>,
              enabled: true,
            },
            (id) =>
              box.seal({ bindPassword: PLANET_EXPRESS.readerPassword }, sourceSecretBinding(tenantId, id)),
          )
        ).id;
      /** A full run in its own process, live heap sampled. */
      const measured = async (tenantId: TenantId, sourceId: string): Promise<ChildResult> => {
        const run = await runs.open(tenantId, sourceId, { mode: 'full', trigger: 'manual' });
        const result = await runChild(childEnv, tenantId, run.id);
        if (result.run.status !== 'done')
          throw new Error(`run ${run.id} ended ${result.run.status}: ${result.run.error}`);
        return result;
      };
      // modifyTimestamp has one-second resolution: the delta watermark must not cover the load.
      await new Promise((r) => setTimeout(r, 1100));

      // Read-and-map alone, same entries (warm slapd's cache first, as the whole run would find it).
      await readOnly(slapd);
      const read = await readOnly(slapd);

      const tenthTenant = asTenantId(second.tenant.id);
      const tenthSource = await makeSource(tenthTenant, 'tenth', TENTH);
      const tenth = await measured(tenthTenant, tenthSource);
      ctx.log(
        `ldap-sync: tenth (${tenth.run.seen} entries) in ${(tenth.ms / 1000).toFixed(1)} s, ` +
          `live heap ${tenth.liveBeforeMb.toFixed(1)} → ${tenth.livePeakMb.toFixed(1)} MB, RSS ${tenth.maxRssMb.toFixed(0)} MB ` +
          `(peaks: heap ${tenth.peaks.heapTotalMb.toFixed(0)} MB, external ${tenth.peaks.externalMb.toFixed(0)} MB)`,
      );

      const tenantId = asTenantId(tenant.tenant.id);
      const source = await makeSource(tenantId, 'directory', PEOPLE);
      const full = await measured(tenantId, source);
      const entries = full.run.seen;
      if (full.run.created !== n + groups || full.run.failed !== 0)
        throw new Error(`full run: ${JSON.stringify(full.run)}`);
      ctx.log(
        `ldap-sync: full (${entries} entries) in ${(full.ms / 1000).toFixed(1)} s, ` +
          `live heap ${full.liveBeforeMb.toFixed(1)} → ${full.livePeakMb.toFixed(1)} MB, RSS ${full.maxRssMb.toFixed(0)} MB ` +
          `(peaks: heap ${full.peaks.heapTotalMb.toFixed(0)} MB, external ${full.peaks.externalMb.toFixed(0)} MB)`,
      );

      // Delta: a warm process (a delta of the tenth with nothing changed warms this one), then
      // 100 entries change; the run must apply exactly those.
      const warm = await runs.open(tenthTenant, tenthSource, { mode: 'delta', trigger: 'manual' });
      await runner.run(tenthTenant, warm.id);
      await new Promise((r) => setTimeout(r, 1100));
      const changed = Array.from({ length: 100 }, (_, i) => Math.floor((i * n) / 100));
      await slapd.modify(
        changed
          .map((i) => `dn: uid=user${i},${PEOPLE}\nchangetype: modify\nreplace: title\ntitle: Captain ${i}\n`)
          .join('\n'),
      );
      const deltaRun = await runs.open(tenantId, source, { mode: 'delta', trigger: 'manual' });
      const started = performance.now();
      const delta = await profiled('ldap-sync-delta', () => runner.run(tenantId, deltaRun.id));
      const deltaMs = performance.now() - started;
      if (delta?.status !== 'done' || delta.updated !== 100)
        throw new Error(`delta run: ${JSON.stringify(delta)}`);

      // Withdrawals (deletions through the engine): batched as the runner does them, beside one
      // transaction per key, on two halves of the tenth's users.
      const keys = await liveUserKeys(url, tenthSource, Math.min(2000, Math.floor(n / 10)));
      const half = Math.floor(keys.length / 2);
      const withdrawals = app.get(SyncWithdrawals);
      const wctx = {
        tenantId: tenthTenant,
        sourceId: tenthSource,
        actor: { type: 'system' as const, id: 'bench' },
        channel: 'sync' as const,
      };
      let t = performance.now();
      const batched = await withdrawals.withdraw(wctx, 'User', keys.slice(0, half));
      const batchedMs = performance.now() - t;
      t = performance.now();
      let single = 0;
      for (const key of keys.slice(half)) single += await withdrawals.withdraw(wctx, 'User', [key]);
      const singleMs = performance.now() - t;
      if (batched !== half || single !== keys.length - half)
        throw new Error(`withdrew ${batched} + ${single} of ${keys.length}`);

      const plainPerSecond = await plainUpserts(url, entries);
      const growth = (r: ChildResult) => Math.max(0.1, r.livePeakMb - r.liveBeforeMb);
      return [
        {
          benchmark: 'ldap-sync',
          metric: `whole run, ${entries} entries (baseline: connector read+map alone)`,
          value: entries / (full.ms / 1000),
          unit: 'entries/s',
          baseline: read.records / (read.ms / 1000),
          aim: { ratioAtMost: 1 },
        },
        {
          benchmark: 'ldap-sync',
          metric: 'whole run (baseline: plain batched upserts, same rows)',
          value: entries / (full.ms / 1000),
          unit: 'entries/s',
          baseline: plainPerSecond,
        },
        {
          benchmark: 'ldap-sync',
          metric: `delta sync of 100 changes among ${n}`,
          value: deltaMs,
          unit: 'ms',
          aim: { valueAtMost: 1000 },
        },
        {
          benchmark: 'ldap-sync',
          metric: `withdrawals, ${WITHDRAW_BATCH} per transaction (baseline: one transaction per key)`,
          value: batched / (batchedMs / 1000),
          unit: 'keys/s',
          baseline: single / (singleMs / 1000),
        },
        {
          benchmark: 'ldap-sync',
          metric: `live heap growth during the run, all ${entries} (baseline: the tenth, ${tenth.run.seen})`,
          value: growth(full),
          unit: 'MB',
          baseline: growth(tenth),
          aim: { ratioAtMost: 1.5 },
        },
        {
          benchmark: 'ldap-sync',
          metric: `live heap high-water, all ${entries} (baseline: the tenth)`,
          value: full.livePeakMb,
          unit: 'MB',
          baseline: tenth.livePeakMb,
          aim: { ratioAtMost: 1.5 },
        },
        {
          benchmark: 'ldap-sync',
          metric: `worker RSS high-water, all ${entries} (baseline: the tenth)`,
          value: full.maxRssMb,
          unit: 'MB',
          baseline: tenth.maxRssMb,
          aim: { ratioAtMost: 1.5 },
        },
      ];
    } finally {
      await app.close();
      await slapd.stop();
    }
  },
};

/** The worker's sync wiring, without the queue consumers. */
async function syncApp(config: HubConfig): Promise<INestApplicationContext> {
  @Module({
    imports: [
      HubConfigModule.forRoot(config),
      PersistenceModule,
      SecretsModule,
      QueueModule.forRoot(),
      AggregationModule,
      SyncModule,
    ],
  })
  class BenchSyncModule {}
  return NestFactory.createApplicationContext(BenchSyncModule, { logger: false });
}

/** Runs one queued run in a fresh `node --expose-gc` process (this file) and reads its result. */
function runChild(env: Record<string, string>, tenantId: string, runId: string): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...HUB_NODE_FLAGS, '--expose-gc', __filename], {
      env: { ...process.env, [CHILD_ENV]: JSON.stringify({ env, tenantId, runId }) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code !== 0 || !line) return reject(new Error(`measured run exited ${code}: ${err.slice(-2000)}`));
      resolve(JSON.parse(line.slice(7)) as ChildResult);
    });
  });
}

/** The measured process: boot, collect, run while sampling the live heap, report. */
async function childMain(): Promise<void> {
  const { env, tenantId, runId } = JSON.parse(process.env[CHILD_ENV]!) as {
    env: Record<string, string>;
    tenantId: string;
    runId: string;
  };
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  const app = await syncApp(loadConfig(env));
  const runner = app.get(SyncRunner);
  let gcMs = 0;
  let samples = 0;
  const live = () => {
    const t = performance.now();
    gc();
    gcMs += performance.now() - t;
    samples++;
    return process.memoryUsage().heapUsed;
  };
  const before = live();
  let peak = before;
  gcMs = 0;
  samples = 0;
  const timer = setInterval(() => (peak = Math.max(peak, live())), SAMPLE_MS);
  const peaks = { heapTotal: 0, external: 0, arrayBuffers: 0 };
  const parts = setInterval(() => {
    const m = process.memoryUsage();
    peaks.heapTotal = Math.max(peaks.heapTotal, m.heapTotal);
    peaks.external = Math.max(peaks.external, m.external);
    peaks.arrayBuffers = Math.max(peaks.arrayBuffers, m.arrayBuffers);
  }, 100);
  const started = performance.now();
  const run = await runner.run(asTenantId(tenantId), runId);
  const ms = performance.now() - started - gcMs;
  clearInterval(timer);
  clearInterval(parts);
  await app.close();
  const mb = (bytes: number) => bytes / 1048576;
  const result: ChildResult = {
    ms,
    liveBeforeMb: mb(before),
    livePeakMb: mb(peak),
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    samples,
    peaks: {
      heapTotalMb: mb(peaks.heapTotal),
      externalMb: mb(peaks.external),
      arrayBuffersMb: mb(peaks.arrayBuffers),
    },
    run: run!,
  };
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

function connectorConfig(slapd: RunningSlapd, base: string): Omit<LdapConnectorConfig, 'bindPassword'> {
  return {
    url: slapd.url,
    bindDn: PLANET_EXPRESS.readerDn,
    pageSize: PAGE,
    deltaOverlapMs: 0,
    users: {
      baseDns: [base],
      filter: '(objectClass=inetOrgPerson)',
      externalIdAttribute: 'employeeNumber',
      mapping: {
        rules: [
          { target: 'userName', source: 'uid' },
          { target: 'name.givenName', source: 'givenName' },
          { target: 'name.familyName', source: 'sn' },
          { target: 'displayName', source: 'cn' },
          { target: 'emails[type eq "work"].value', source: 'mail', transform: 'lower', primary: true },
          { target: 'title', source: 'title' },
          { target: 'phoneNumbers[type eq "work"].value', source: 'telephoneNumber' },
          { target: `${ENTERPRISE_USER_URN}:employeeNumber`, source: 'employeeNumber' },
          { target: `${ENTERPRISE_USER_URN}:department`, source: 'departmentNumber' },
        ],
      },
    },
    groups: {
      baseDns: [base],
      filter: '(objectClass=groupOfNames)',
      membership: 'member' as const,
      mapping: { rules: [{ target: 'displayName', source: 'cn' }] },
    },
  };
}

/** The connector alone over the whole directory: read and map, nothing written. */
async function readOnly(slapd: RunningSlapd): Promise<{ records: number; ms: number }> {
  const connector = new LdapConnector({
    ...connectorConfig(slapd, PEOPLE),
    bindPassword: PLANET_EXPRESS.readerPassword,
  });
  let records = 0;
  const started = performance.now();
  try {
    for await (const batch of connector.fullPull()) records += batch.records.length;
  } finally {
    await connector.close();
  }
  return { records, ms: performance.now() - started };
}

/** A source's live User keys, in key order. */
async function liveUserKeys(url: string, sourceId: string, limit: number): Promise<string[]> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  pool.on('error', () => undefined);
  try {
    const { rows } = await pool.query<{ source_key: string }>(
      `SELECT source_key FROM contributions WHERE source_id = $1::uuid AND resource_type = 'User' AND deleted_at IS NULL
       ORDER BY source_key LIMIT $2`,
      [sourceId, limit],
    );
    return rows.map((r) => r.source_key);
  } finally {
    await pool.end();
  }
}

/** The same number of contribution-sized rows as plain batched upserts into one table. */
async function plainUpserts(url: string, rows: number): Promise<number> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on('error', () => undefined);
  try {
    await pool.query(`CREATE TABLE IF NOT EXISTS bench_sync_plain (source_key text PRIMARY KEY, attributes jsonb, hash text,
      updated_at timestamptz)`);
    const started = performance.now();
    for (let i = 0; i < rows; i += PAGE) {
      const keys: string[] = [];
      const attrs: string[] = [];
      for (let j = i; j < Math.min(rows, i + PAGE); j++) {
        keys.push(`k${j}`);
        attrs.push(
          JSON.stringify({
            userName: `user${j}`,
            name: { givenName: 'User', familyName: `Number${j}` },
            emails: [{ type: 'work', value: `user${j}@example.com`, primary: true }],
            [ENTERPRISE_USER_URN]: { employeeNumber: `E${j}`, department: `D${j % 40}` },
          }),
        );
      }
      await pool.query(
        `INSERT INTO bench_sync_plain SELECT u.k, u.a, md5(u.a::text), now() FROM unnest($1::text[], $2::jsonb[]) AS u(k, a)
         ON CONFLICT (source_key) DO UPDATE SET attributes = EXCLUDED.attributes, hash = EXCLUDED.hash, updated_at = now()`,
        [keys, attrs],
      );
    }
    return rows / ((performance.now() - started) / 1000);
  } finally {
    await pool.end();
  }
}

/**
 * A generated directory written line by line (never held in memory as a whole): per subtree,
 * users then groups of up to 1 000 of them. User names and employee numbers differ between
 * subtrees so each stays a directory of its own.
 */
async function writeDirectory(
  file: string,
  trees: Array<{ ou: string; users: number; groups: number }>,
): Promise<void> {
  const out = fs.createWriteStream(file);
  const write = (text: string) =>
    out.write(text) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', () => r()));
  for (const [t, { ou, users, groups }] of trees.entries()) {
    const rdn = ou.split(',')[0]!.slice(3);
    const uid = (i: number) => (t === 0 ? `user${i}` : `${rdn}${i}`);
    await write(`dn: ${ou}\nobjectClass: organizationalUnit\nou: ${rdn}\n\n`);
    for (let i = 0; i < users; i++) {
      await write(
        `dn: uid=${uid(i)},${ou}\nobjectClass: inetOrgPerson\nuid: ${uid(i)}\ncn: User Number${i}\n` +
          `givenName: User\nsn: Number${i}\nmail: ${uid(i)}@Example.COM\ntitle: Crew\n` +
          `employeeNumber: E${t}${100000 + i}\n` +
          `departmentNumber: D${i % 40}\ntelephoneNumber: +1 555 01${String(i % 10000).padStart(4, '0')}\n\n`,
      );
    }
    const perGroup = Math.min(1000, Math.max(1, Math.floor(users / groups)));
    for (let g = 0; g < groups; g++) {
      let entry = `dn: cn=group${g},${ou}\nobjectClass: groupOfNames\ncn: group${g}\n`;
      for (let m = 0; m < perGroup; m++) entry += `member: uid=${uid((g * perGroup + m) % users)},${ou}\n`;
      await write(entry + '\n');
    }
  }
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
}

if (require.main === module && process.env[CHILD_ENV]) {
  childMain().then(
    () => process.exit(0),
    (error: Error) => {
      console.error(error.stack);
      process.exit(1);
    },
  );
}
