/**
 * The push benchmark's direct client (a child process, as the hub's worker is): one target's own
 * capacity for what a push of a new user sends — match, then create — from `DIRECT_CONCURRENCY`
 * closed-loop callers and no hub. In a process of its own, the client does not take the target's
 * thread, so the figure is the target's capacity, not a share of it.
 *
 * Environment: DIRECT_BASE_URL, DIRECT_USERS, DIRECT_CONCURRENCY. Prints `{"requestsPerSecond": n}`.
 */
import { randomUUID } from 'node:crypto';
import { Pool } from 'undici';
import { benchUser, createRequest, matchRequest } from './scim-push-requests';

async function main(): Promise<void> {
  const baseUrl = new URL(process.env.DIRECT_BASE_URL!);
  const users = Number(process.env.DIRECT_USERS);
  const concurrency = Number(process.env.DIRECT_CONCURRENCY);
  const pool = new Pool(baseUrl.origin, { connections: concurrency });
  let next = 0;
  let requests = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < users) {
        const body: Record<string, unknown> = { ...benchUser(next++), externalId: randomUUID() };
        const match = await pool.request(matchRequest(baseUrl.pathname, String(body.userName)));
        await match.body.dump();
        const created = await pool.request(createRequest(baseUrl.pathname, body));
        await created.body.dump();
        requests += 2;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  process.stdout.write(`${JSON.stringify({ requestsPerSecond: requests / seconds })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`direct load failed: ${String(error)}\n`);
  process.exit(1);
});
