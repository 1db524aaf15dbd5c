import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Pool } from 'undici';
import { provisionTenant, type ProvisionedTenant } from '@hub/auth';
import { loadConfig, type HubConfig } from '@hub/config';
import {
  PrismaService,
  applyMigrations,
  ensureDatabase,
  tenantBootstrapRepositories,
  withDatabase,
} from '@hub/persistence';
import {
  startEmbeddedPostgres,
  startRedisServer,
  type RunningPostgres,
  type RunningRedis,
} from '@hub/embedded';

export type Size = 'tiny' | 'small' | 'full';

/** One line of the results table: a figure, and the baseline measured in the same run. */
export interface BenchRow {
  benchmark: string;
  metric: string;
  value: number;
  unit: string;
  baseline?: number;
  /** value / baseline, with the direction that is better. */
  aim?: { ratioAtLeast?: number; ratioAtMost?: number; valueAtMost?: number };
}

export interface BenchContext {
  size: Size;
  postgres: RunningPostgres;
  redis: RunningRedis;
  workDir: string;
  log(message: string): void;
}

export interface Benchmark {
  name: string;
  run(ctx: BenchContext): Promise<BenchRow[]>;
}

export async function withInfrastructure<T>(
  fn: (ctx: Omit<BenchContext, 'size' | 'log'>) => Promise<T>,
): Promise<T> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scim-hub-bench-'));
  fs.chmodSync(workDir, 0o755);
  const [postgres, redis] = await Promise.all([
    startEmbeddedPostgres({ dataDir: path.join(workDir, 'pg') }),
    startRedisServer(),
  ]);
  try {
    return await fn({ postgres, redis, workDir });
  } finally {
    await Promise.allSettled([postgres.stop(), redis.stop()]);
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

export interface LoadResult {
  requests: number;
  errors: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** Throughput and latency percentiles of a load run (latencies in ms, elapsed in s). */
export function loadResult(latencies: number[], errors: number, elapsed: number): LoadResult {
  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  return {
    requests: latencies.length,
    errors,
    perSecond: latencies.length / elapsed,
    p50Ms: pct(50),
    p99Ms: pct(99),
  };
}

/** Closed-loop load: `concurrency` callers each send their next request when the last answered. */
export async function httpLoad(
  baseUrl: string,
  options: { requests: number; concurrency: number; path: string; headers?: Record<string, string> },
): Promise<LoadResult> {
  const pool = new Pool(baseUrl, { connections: options.concurrency, pipelining: 1 });
  const latencies: number[] = [];
  let errors = 0;
  let issued = 0;
  const started = performance.now();
  const caller = async () => {
    while (issued < options.requests) {
      issued++;
      const t = performance.now();
      const res = await pool.request({ method: 'GET', path: options.path, headers: options.headers });
      await res.body.dump();
      if (res.statusCode !== 200) errors++;
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, caller));
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  return loadResult(latencies, errors, elapsed);
}

/**
 * Open-loop load: requests leave at a fixed rate whether or not earlier ones answered, and each
 * latency counts from when its request was due (no coordinated omission). This is the latency a
 * service shows at a given load, without the queueing a saturating closed loop adds.
 */
export async function httpRateLoad(
  baseUrl: string,
  options: { perSecond: number; requests: number; path: string; headers?: Record<string, string> },
): Promise<LoadResult> {
  const pool = new Pool(baseUrl, { connections: 64, pipelining: 1 });
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const interval = 1000 / options.perSecond;
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < options.requests; i++) {
    const due = started + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inFlight.push(
      pool.request({ method: 'GET', path: options.path, headers: options.headers }).then(async (res) => {
        await res.body.dump();
        if (res.statusCode !== 200) errors++;
        latencies.push(performance.now() - due);
      }),
    );
  }
  await Promise.all(inFlight);
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  return loadResult(latencies, errors, elapsed);
}

export function printTable(rows: BenchRow[]): boolean {
  const header = ['benchmark', 'metric', 'value', 'baseline (same run)', 'ratio', 'aim', 'ok'];
  let allOk = true;
  const lines = rows.map((r) => {
    const ratio = r.baseline ? r.value / r.baseline : undefined;
    let aim = '';
    let ok = true;
    if (r.aim?.ratioAtLeast !== undefined) {
      aim = `ratio ≥ ${fmt(r.aim.ratioAtLeast)}`;
      ok = ratio !== undefined && ratio >= r.aim.ratioAtLeast;
    } else if (r.aim?.ratioAtMost !== undefined) {
      aim = `ratio ≤ ${fmt(r.aim.ratioAtMost)}`;
      ok = ratio !== undefined && ratio <= r.aim.ratioAtMost;
    } else if (r.aim?.valueAtMost !== undefined) {
      aim = `≤ ${r.aim.valueAtMost} ${r.unit}`;
      ok = r.value <= r.aim.valueAtMost;
    }
    if (!ok) allOk = false;
    return [
      r.benchmark,
      r.metric,
      `${fmt(r.value)} ${r.unit}`,
      r.baseline !== undefined ? `${fmt(r.baseline)} ${r.unit}` : '',
      ratio !== undefined ? ratio.toFixed(2) : '',
      aim,
      aim ? (ok ? 'yes' : 'NO') : '',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
  console.log(row(header));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const l of lines) console.log(row(l));
  return allOk;
}

function fmt(n: number): string {
  if (n >= 100) return Math.round(n).toLocaleString('en-US');
  if (n >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

/**
 * A benchmark's own migrated database, its configuration and a fresh tenant with an admin token
 * (the same provisioning the operator CLI does).
 */
export async function benchTenant(
  ctx: Pick<BenchContext, 'postgres' | 'redis'>,
  name: string,
  env: Record<string, string> = {},
): Promise<{ url: string; config: HubConfig; prisma: PrismaService; tenant: ProvisionedTenant }> {
  const url = withDatabase(ctx.postgres.url, `bench_${name.replace(/-/g, '_')}`);
  await ensureDatabase(url);
  await applyMigrations(url);
  const config = loadConfig({
    DATABASE_URL: url,
    REDIS_URL: ctx.redis.url,
    LOG_LEVEL: 'silent',
    QUEUE_PREFIX: `b${name}`,
    ...env,
  });
  const prisma = new PrismaService(config);
  const tenant = await provisionTenant(
    tenantBootstrapRepositories(prisma),
    `${name}-${randomUUID().slice(0, 6)}`,
  );
  return { url, config, prisma, tenant };
}
