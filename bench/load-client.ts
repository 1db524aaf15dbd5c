import { Pool } from 'undici';

/** What a load run measured. */
export interface LoadResult {
  requests: number;
  errors: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Open loop: how late the generator itself sent (p99), part of every latency it reports. */
  sendLagP99Ms?: number;
  /** Open loop: in how many 100-ms windows (by due time) answers took over 50 ms. */
  slowWindows?: number;
}

export interface ClosedLoad {
  requests: number;
  concurrency: number;
  path: string;
  headers?: Record<string, string>;
}

export interface OpenLoad {
  perSecond: number;
  requests: number;
  path: string;
  headers?: Record<string, string>;
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
export async function closedLoad(baseUrl: string, options: ClosedLoad): Promise<LoadResult> {
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
export async function openLoad(baseUrl: string, options: OpenLoad): Promise<LoadResult> {
  const pool = new Pool(baseUrl, { connections: 64, pipelining: 1 });
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const interval = 1000 / options.perSecond;
  const inFlight: Promise<void>[] = [];
  const lags: number[] = [];
  const slow = new Set<number>();
  for (let i = 0; i < options.requests; i++) {
    const due = started + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    lags.push(Math.max(0, performance.now() - due));
    inFlight.push(
      pool.request({ method: 'GET', path: options.path, headers: options.headers }).then(async (res) => {
        await res.body.dump();
        if (res.statusCode !== 200) errors++;
        const latency = performance.now() - due;
        latencies.push(latency);
        if (latency > 50) slow.add(Math.floor((due - started) / 100));
      }),
    );
  }
  await Promise.all(inFlight);
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  lags.sort((a, b) => a - b);
  return {
    ...loadResult(latencies, errors, elapsed),
    sendLagP99Ms: lags[Math.floor(lags.length * 0.99)] ?? 0,
    slowWindows: slow.size,
  };
}
