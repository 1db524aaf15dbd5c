import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { LdapConnector, type LdapConnectorConfig, type SourceCursor } from '@hub/connectors';
import { ENTERPRISE_USER_URN } from '@hub/scim';
import { PLANET_EXPRESS, startSlapd, type RunningSlapd } from '@hub/embedded';
import { profiled, type Benchmark, type BenchRow } from './harness';

const ENTRIES = { tiny: 2_000, small: 20_000, full: 100_000 };
const GROUPS = { tiny: 5, small: 20, full: 50 };
const PAGE = 500;
const PEOPLE = `ou=bench,${PLANET_EXPRESS.baseDn}`;

/**
 * The LDAP connector's read-and-map rate beside `ldapsearch` reading the same entries from the
 * same slapd in the same run (paged, same page size, output discarded): the connector should stay
 * within 3× of the C client. Also: a delta pull after 100 modifications, and the connector's
 * peak heap at the full size beside a tenth of it (flat = streaming, not buffering).
 */
export const ldapReadBenchmark: Benchmark = {
  name: 'ldap-read',
  async run(ctx): Promise<BenchRow[]> {
    const n = ENTRIES[ctx.size];
    const ldifFile = path.join(ctx.workDir, 'bench-directory.ldif');
    await writeDirectory(ldifFile, n, GROUPS[ctx.size]);
    ctx.log(`ldap-read: ${n} entries, ${GROUPS[ctx.size]} groups, loaded with slapadd`);
    const slapd = await startSlapd({ bulkLdifFile: ldifFile, sizeLimit: 1000 });
    try {
      const attrs = [
        'uid',
        'givenName',
        'sn',
        'cn',
        'mail',
        'title',
        'employeeNumber',
        'departmentNumber',
        'telephoneNumber',
        'entryUUID',
      ];
      // modifyTimestamp has one-second resolution: let the load's second pass, so the delta
      // watermark taken at the full pull's start does not include the whole directory.
      await new Promise((r) => setTimeout(r, 1100));
      // Warm slapd's cache once so neither side pays for the first read.
      await ldapsearch(slapd, attrs);
      const baselineMs = await ldapsearch(slapd, attrs);

      // Time and memory in separate runs: forcing collections to read the live heap slows a pull.
      // A short pull first warms the JIT, as the first ldapsearch warms slapd.
      await pull(slapd, 3 * PAGE, false);
      const full = await profiled('ldap-full-pull', () => pull(slapd, Number.MAX_SAFE_INTEGER, false));
      if (full.records !== n + GROUPS[ctx.size])
        throw new Error(`connector read ${full.records} records, expected ${n + GROUPS[ctx.size]}`);
      const tenth = Math.max(Math.floor(n / 10), 3 * PAGE);
      const small = await pull(slapd, tenth, true);
      const fullMemory = await pull(slapd, Number.MAX_SAFE_INTEGER, true);

      // Delta: 100 entries change; the next delta pull must find exactly those.
      await new Promise((r) => setTimeout(r, 1100)); // modifyTimestamp has one-second resolution
      const changed = Array.from({ length: 100 }, (_, i) => Math.floor((i * n) / 100));
      await slapd.modify(
        changed
          .map(
            (i) =>
              `dn: uid=user${i},${PEOPLE}\nchangetype: modify\nreplace: title\ntitle: Delivery Boy ${i}\n`,
          )
          .join('\n'),
      );
      const delta = await deltaPull(slapd, full.cursor!);
      if (delta.records !== 100)
        throw new Error(`delta pull saw ${delta.records} records, expected the 100 changed`);

      return [
        {
          benchmark: 'ldap-read',
          metric: `full read+map (${n} users, ${GROUPS[ctx.size]} groups with members)`,
          value: full.records / (full.ms / 1000),
          unit: 'entries/s',
          baseline: full.records / (baselineMs / 1000),
          aim: { ratioAtLeast: 1 / 3 },
        },
        {
          benchmark: 'ldap-read',
          metric: 'full read+map time',
          value: full.ms / 1000,
          unit: 's',
          baseline: baselineMs / 1000,
        },
        {
          benchmark: 'ldap-read',
          metric: `delta read (${delta.records} changed)`,
          value: delta.ms,
          unit: 'ms',
        },
        {
          benchmark: 'ldap-read',
          // Live heap after GC; what grows is the bounded DN → key cache that member resolution needs.
          metric: `live heap growth reading all ${n} (baseline: the first ${tenth})`,
          value: fullMemory.peakHeapMb,
          unit: 'MB',
          baseline: small.peakHeapMb,
          aim: { valueAtMost: 64 },
        },
      ];
    } finally {
      await slapd.stop();
    }
  },
};

function connectorConfig(slapd: RunningSlapd): LdapConnectorConfig {
  return {
    url: slapd.url,
    bindDn: PLANET_EXPRESS.readerDn,
    bindPassword: PLANET_EXPRESS.readerPassword,
    pageSize: PAGE,
    deltaOverlapMs: 0,
    users: {
      baseDns: [PEOPLE],
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
      baseDns: [PEOPLE],
      filter: '(objectClass=groupOfNames)',
      membership: 'member',
      mapping: { rules: [{ target: 'displayName', source: 'cn' }] },
    },
  };
}

/** Reads through the connector (users, then groups with members resolved), up to `limit` records. */
async function pull(slapd: RunningSlapd, limit: number, measureHeap: boolean) {
  const connector = new LdapConnector(connectorConfig(slapd));
  let records = 0;
  let batches = 0;
  let cursor: SourceCursor | undefined;
  const heapStart = measureHeap ? liveHeap() : 0;
  let peak = heapStart;
  let gcMs = 0;
  const started = performance.now();
  try {
    for await (const batch of connector.fullPull()) {
      records += batch.records.length;
      cursor = batch.cursor ?? cursor;
      // Live heap (after a full GC) every few batches: what the pull keeps, not what awaits collection.
      if (measureHeap && ++batches % 8 === 0) {
        const t = performance.now();
        peak = Math.max(peak, liveHeap());
        gcMs += performance.now() - t;
      }
      if (records >= limit) break; // the smaller comparison stops early
    }
  } finally {
    await connector.close();
  }
  const ms = performance.now() - started - gcMs;
  return { records, cursor, ms, peakHeapMb: measureHeap ? (peak - heapStart) / 1048576 : 0 };
}

async function deltaPull(slapd: RunningSlapd, cursor: SourceCursor) {
  const connector = new LdapConnector(connectorConfig(slapd));
  let records = 0;
  const started = performance.now();
  try {
    for await (const batch of connector.deltaPull(cursor)) records += batch.records.length;
  } finally {
    await connector.close();
  }
  return { records, ms: performance.now() - started };
}

/** Heap in use after a full collection (the benchmark turns on `gc` for itself). */
function liveHeap(): number {
  forceGc();
  return process.memoryUsage().heapUsed;
}

let gcFn: (() => void) | undefined;
function forceGc(): void {
  if (!gcFn) {
    v8.setFlagsFromString('--expose-gc');
    gcFn = vm.runInNewContext('gc') as () => void;
  }
  gcFn();
}

/**
 * `ldapsearch` reading what the connector reads — the users, then the groups with their members —
 * paged like the connector, output discarded: the C client's read rate.
 */
async function ldapsearch(slapd: RunningSlapd, attrs: string[]): Promise<number> {
  return (
    (await ldapsearchOnce(slapd, '(objectClass=inetOrgPerson)', attrs)) +
    (await ldapsearchOnce(slapd, '(objectClass=groupOfNames)', ['cn', 'member', 'entryUUID']))
  );
}

async function ldapsearchOnce(slapd: RunningSlapd, filter: string, attrs: string[]): Promise<number> {
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      'ldapsearch',
      ['-x', '-LLL', '-H', slapd.url, '-D', PLANET_EXPRESS.readerDn, '-w', PLANET_EXPRESS.readerPassword,
       '-b', PEOPLE, '-E', `pr=${PAGE}/noprompt`, filter, ...attrs], // prettier-ignore
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`ldapsearch exited ${code}: ${stderr}`)),
    );
  });
  return performance.now() - started;
}

/** A generated directory written line by line (never held in memory as a whole). */
async function writeDirectory(file: string, users: number, groups: number): Promise<void> {
  const out = fs.createWriteStream(file);
  const write = (text: string) =>
    out.write(text) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', () => r()));
  await write(`dn: ${PEOPLE}\nobjectClass: organizationalUnit\nou: bench\n\n`);
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
