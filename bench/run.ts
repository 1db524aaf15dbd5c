import 'reflect-metadata';
import { aggregationBenchmark } from './aggregation.bench';
import { apiAuthBenchmark } from './api-auth.bench';
import { ldapReadBenchmark } from './ldap-read.bench';
import { ldapSyncBenchmark } from './ldap-sync.bench';
import { pushFanoutBenchmark } from './push-fanout.bench';
import { reconcileBenchmark } from './reconcile.bench';
import { scimInboundBenchmark } from './scim-inbound.bench';
import { printTable, withInfrastructure, type Benchmark, type BenchRow, type Size } from './harness';

/**
 * `npm run bench [-- --size tiny|small|full] [--only name,name]`: every benchmark against real
 * PostgreSQL and Redis on loopback; each figure is printed beside a baseline measured in the same
 * run. `tiny` is CI's smoke run (it checks the harness works, not the aims).
 */
const BENCHMARKS: Benchmark[] = [
  apiAuthBenchmark,
  scimInboundBenchmark,
  ldapReadBenchmark,
  ldapSyncBenchmark,
  aggregationBenchmark,
  reconcileBenchmark,
  pushFanoutBenchmark,
];

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const size = (valueOf(args, '--size') ?? 'small') as Size;
  if (!['tiny', 'small', 'full'].includes(size))
    throw new Error(`--size must be tiny, small or full, not ${size}`);
  const only = valueOf(args, '--only')?.split(',');
  const selected = BENCHMARKS.filter((b) => !only || only.includes(b.name));
  const rows: BenchRow[] = [];
  await withInfrastructure(async (infra) => {
    for (const benchmark of selected) {
      const started = Date.now();
      rows.push(
        ...(await benchmark
          .run({ ...infra, size, log: (m) => console.log(`  ${m}`) })
          .catch((error: Error) => {
            console.error(`${benchmark.name} failed: ${error.stack}`);
            throw error;
          })),
      );
      console.log(`  ${benchmark.name} done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
  });
  console.log(`\nscim-hub benchmarks (size ${size}, ${new Date().toISOString()})\n`);
  const ok = printTable(rows);
  if (!ok)
    console.log(
      size === 'tiny'
        ? '\n(tiny run: aims are not judged at this size)'
        : '\nSome aims were missed (see "ok").',
    );
}

function valueOf(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

main()
  .then(() => process.exit(0))
  .catch((error: Error) => {
    console.error(error.stack);
    process.exit(1);
  });
