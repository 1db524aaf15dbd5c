import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { AggregationModule } from '@hub/aggregation';
import { HubConfigModule } from '@hub/config';
import { LdapConnector, type LdapConnectorConfig } from '@hub/connectors';
import { PLANET_EXPRESS, startSlapd, type RunningSlapd } from '@hub/embedded';
import {
  PersistenceModule,
  SourceRepository,
  SyncRunRepository,
  asTenantId,
  tenantBootstrapRepositories,
  type TenantId,
} from '@hub/persistence';
import { QueueModule } from '@hub/queue';
import { ENTERPRISE_USER_URN } from '@hub/scim';
import { SecretBox, SecretsModule } from '@hub/secrets';
import { SyncModule, SyncRunner, sourceSecretBinding } from '@hub/sync';
import { provisionTenant } from '@hub/auth';
import { benchTenant, type Benchmark, type BenchRow } from './harness';

const ENTRIES = { tiny: 1_000, small: 10_000, full: 100_000 };
const GROUPS = { tiny: 4, small: 20, full: 50 };
const PAGE = 500;
const PEOPLE = `ou=sync,${PLANET_EXPRESS.baseDn}`;
/** Four of the forty departments: a tenth of the directory, for the memory comparison. */
const TENTH_FILTER =
  '(&(objectClass=inetOrgPerson)(|(departmentNumber=D0)(departmentNumber=D1)(departmentNumber=D2)(departmentNumber=D3)))';

/**
 * A whole LDAP sync run (ADR 0503) of a generated directory through the real runner: read, map,
 * validate, write through the engine's batch path, progress after every page. Rows:
 * - whole run in entries/s beside the connector's read-and-map rate over the same entries in the
 *   same run (reading must not be the bottleneck: the ratio stays well below 1), and beside plain
 *   batched upserts of the same number of rows (the aggregation benchmark's baseline);
 * - a delta sync after 100 modifications: the hub's time;
 * - the heap high-water mark of the process during a run of a tenth of the directory and of all
 *   of it (sampled every 20 ms): flat in the directory's size means streaming.
 * The connector against `ldapsearch` is the ldap-read benchmark's row.
 */
export const ldapSyncBenchmark: Benchmark = {
  name: 'ldap-sync',
  async run(ctx): Promise<BenchRow[]> {
    const n = ENTRIES[ctx.size];
    const ldifFile = path.join(ctx.workDir, 'sync-directory.ldif');
    await writeDirectory(ldifFile, n, GROUPS[ctx.size]);
    const slapd = await startSlapd({ bulkLdifFile: ldifFile, sizeLimit: 1000 });
    const { url, config, prisma, tenant } = await benchTenant(ctx, 'ldap-sync', {
      SECRETS_KEY: randomBytes(32).toString('base64'),
      DATABASE_POOL_SIZE: '6',
    });
    const second = await provisionTenant(tenantBootstrapRepositories(prisma), `ldap-sync-tenth`);
    await prisma.close();

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
    class BenchModule {}
    const app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
    try {
      const sources = app.get(SourceRepository);
      const box = app.get(SecretBox);
      const runs = app.get(SyncRunRepository);
      const runner = app.get(SyncRunner);
      const makeSource = async (tenantId: TenantId, name: string, filter?: string) =>
        (
          await sources.create(
            tenantId,
            {
              name,
              kind: 'ldap',
              roles: { User: { create: true, update: true }, Group: { create: true, update: true } },
              config: connectorConfig(slapd, filter) as unknown as Record<string, unknown>,
              enabled: true,
            },
            (id) =>
              box.seal({ bindPassword: PLANET_EXPRESS.readerPassword }, sourceSecretBinding(tenantId, id)),
          )
        ).id;
      const runOnce = async (tenantId: TenantId, sourceId: string, mode: 'full' | 'delta') => {
        const run = await runs.open(tenantId, sourceId, { mode, trigger: 'manual' });
        const memory = sampleHeap();
        const started = performance.now();
        const done = await runner.run(tenantId, run.id);
        const ms = performance.now() - started;
        const peakMb = memory.stop();
        if (done?.status !== 'done') throw new Error(`run ${run.id} ended ${done?.status}: ${done?.error}`);
        return { ms, peakMb, run: done };
      };
      // modifyTimestamp has one-second resolution: the delta watermark must not cover the load.
      await new Promise((r) => setTimeout(r, 1100));

      // Read-and-map alone, same entries (warm slapd's cache first, as the whole run would find it).
      await readOnly(slapd);
      const read = await readOnly(slapd);

      const tenthTenant = asTenantId(second.tenant.id);
      const tenth = await runOnce(tenthTenant, await makeSource(tenthTenant, 'tenth', TENTH_FILTER), 'full');
      ctx.log(`ldap-sync: tenth (${tenth.run.seen} entries) in ${(tenth.ms / 1000).toFixed(1)} s`);

      const tenantId = asTenantId(tenant.tenant.id);
      const source = await makeSource(tenantId, 'directory');
      const full = await runOnce(tenantId, source, 'full');
      const entries = full.run.seen;
      if (full.run.created !== n + GROUPS[ctx.size] || full.run.failed !== 0)
        throw new Error(`full run: ${JSON.stringify(full.run)}`);
      ctx.log(`ldap-sync: full (${entries} entries) in ${(full.ms / 1000).toFixed(1)} s`);

      // Delta: 100 entries change; the run must apply exactly those (plus any entry of the
      // watermark's second, unchanged).
      await new Promise((r) => setTimeout(r, 1100));
      const changed = Array.from({ length: 100 }, (_, i) => Math.floor((i * n) / 100));
      await slapd.modify(
        changed
          .map((i) => `dn: uid=user${i},${PEOPLE}\nchangetype: modify\nreplace: title\ntitle: Captain ${i}\n`)
          .join('\n'),
      );
      const delta = await runOnce(tenantId, source, 'delta');
      if (delta.run.updated !== 100) throw new Error(`delta run: ${JSON.stringify(delta.run)}`);

      const plainPerSecond = await plainUpserts(url, entries);
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
          value: delta.ms,
          unit: 'ms',
          aim: { valueAtMost: 1000 },
        },
        {
          benchmark: 'ldap-sync',
          metric: `heap high-water, all ${entries} (baseline: a tenth, ${tenth.run.seen})`,
          value: full.peakMb,
          unit: 'MB',
          baseline: tenth.peakMb,
          aim: { ratioAtMost: 2 },
        },
      ];
    } finally {
      await app.close();
      await slapd.stop();
    }
  },
};

function connectorConfig(slapd: RunningSlapd, filter?: string): Omit<LdapConnectorConfig, 'bindPassword'> {
  return {
    url: slapd.url,
    bindDn: PLANET_EXPRESS.readerDn,
    pageSize: PAGE,
    deltaOverlapMs: 0,
    users: {
      baseDns: [PEOPLE],
      filter: filter ?? '(objectClass=inetOrgPerson)',
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
    ...(filter
      ? {}
      : {
          groups: {
            baseDns: [PEOPLE],
            filter: '(objectClass=groupOfNames)',
            membership: 'member' as const,
            mapping: { rules: [{ target: 'displayName', source: 'cn' }] },
          },
        }),
  };
}

/** The connector alone over the whole directory: read and map, nothing written. */
async function readOnly(slapd: RunningSlapd): Promise<{ records: number; ms: number }> {
  const connector = new LdapConnector({
    ...connectorConfig(slapd),
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

/** Heap high-water mark above the level at the start, sampled every 20 ms. */
function sampleHeap(): { stop(): number } {
  const start = process.memoryUsage().heapUsed;
  let peak = start;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 20);
  return {
    stop: () => {
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage().heapUsed);
      return (peak - start) / 1048576;
    },
  };
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

/** A generated directory written line by line (never held in memory as a whole). */
async function writeDirectory(file: string, users: number, groups: number): Promise<void> {
  const out = fs.createWriteStream(file);
  const write = (text: string) =>
    out.write(text) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', () => r()));
  await write(`dn: ${PEOPLE}\nobjectClass: organizationalUnit\nou: sync\n\n`);
  for (let i = 0; i < users; i++) {
    await write(
      `dn: uid=user${i},${PEOPLE}\nobjectClass: inetOrgPerson\nuid: user${i}\ncn: User Number${i}\n` +
        `givenName: User\nsn: Number${i}\nmail: User${i}@Example.COM\ntitle: Crew\nemployeeNumber: E${100000 + i}\n` +
        `departmentNumber: D${i % 40}\ntelephoneNumber: +1 555 01${String(i % 10000).padStart(4, '0')}\n\n`,
    );
  }
  const perGroup = Math.min(1000, Math.max(1, Math.floor(users / groups)));
  for (let g = 0; g < groups; g++) {
    let entry = `dn: cn=group${g},${PEOPLE}\nobjectClass: groupOfNames\ncn: group${g}\n`;
    for (let m = 0; m < perGroup; m++) entry += `member: uid=user${(g * perGroup + m) % users},${PEOPLE}\n`;
    await write(entry + '\n');
  }
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
}
