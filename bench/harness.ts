import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { PerformanceObserver, monitorEventLoopDelay } from 'node:perf_hooks';
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
import type { ClosedLoad, LoadResult, OpenLoad } from './load-client';

export { loadResult, type LoadResult } from './load-client';

export type Size = 'tiny' | 'small' | 'full';

/** One line of the results table: a figure, and the baseline measured in the same run. */
export interface BenchRow {
  benchmark: string;
  metric: string;
  value: number;
  unit: string;
  baseline?: number;
  /** When the baseline reads in other words than the value (default: `unit`). */
  baselineUnit?: string;
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

/** Closed-loop load from a worker thread (see load-worker.ts). */
export function httpLoad(baseUrl: string, options: ClosedLoad): Promise<LoadResult> {
  return inLoadWorker({ kind: 'closed', baseUrl, options });
}

/** Open-loop load (a fixed request rate) from a worker thread. */
export function httpRateLoad(baseUrl: string, options: OpenLoad): Promise<LoadResult> {
  return inLoadWorker({ kind: 'open', baseUrl, options });
}

function inLoadWorker(job: unknown): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(path.join(__dirname, 'load-worker.js'), { workerData: job });
    worker.once('message', (m: { result?: LoadResult; error?: string }) =>
      m.result ? resolve(m.result) : reject(new Error(`load worker: ${m.error}`)),
    );
    worker.once('error', reject);
    worker.once('exit', (code) => code !== 0 && reject(new Error(`load worker exited with ${code}`)));
  });
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
      r.baseline !== undefined ? `${fmt(r.baseline)} ${r.baselineUnit ?? r.unit}` : '',
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

/**
 * With BENCH_CPU_PROFILE=<dir>, the main thread's CPU profile of `fn` alone (the servers under
 * test; the load runs in worker threads) is written there as <name>.cpuprofile.
 */
export async function profiled<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const dir = process.env.BENCH_CPU_PROFILE;
  const phases = process.env.BENCH_PHASES;
  if (!dir && phases) {
    const startedAt = Date.now();
    try {
      return await fn();
    } finally {
      fs.appendFileSync(phases, `${name}\t${startedAt}\t${Date.now()}\n`);
    }
  }
  if (!dir) return fn();
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  const startedAt = Date.now();
  try {
    return await fn();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
    // The phase's wall-clock window, to line up with CPU samples of the other processes.
    fs.appendFileSync(path.join(dir, 'phases.tsv'), `${name}\t${startedAt}\t${Date.now()}\n`);
    session.disconnect();
  }
}

/** What the main thread (the servers) went through while `fn` ran: event-loop delay and GC pauses. */
export interface MainThreadStalls {
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  gcPauses: number;
  gcTotalMs: number;
  gcLongestMs: number;
}

export async function watchMainThread<T>(
  fn: () => Promise<T>,
): Promise<{ value: T; stalls: MainThreadStalls }> {
  const delay = monitorEventLoopDelay({ resolution: 5 });
  const pauses: number[] = [];
  const gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) pauses.push(e.duration);
  });
  gc.observe({ entryTypes: ['gc'] });
  delay.enable();
  try {
    const value = await fn();
    return {
      value,
      stalls: {
        loopDelayP99Ms: delay.percentile(99) / 1e6,
        loopDelayMaxMs: delay.max / 1e6,
        gcPauses: pauses.length,
        gcTotalMs: pauses.reduce((a, b) => a + b, 0),
        gcLongestMs: Math.max(0, ...pauses),
      },
    };
  } finally {
    delay.disable();
    gc.disconnect();
  }
}

export function describeStalls(s: MainThreadStalls): string {
  const f = (n: number) => n.toFixed(1);
  return `event-loop delay p99 ${f(s.loopDelayP99Ms)} ms, max ${f(s.loopDelayMaxMs)} ms; ${s.gcPauses} GC pauses, ${f(s.gcTotalMs)} ms in all, longest ${f(s.gcLongestMs)} ms`;
}
