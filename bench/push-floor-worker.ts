/**
 * The push benchmark's floor (a child process, as the hub's worker is): what pushing N new users
 * to three targets costs when everything a push must do is done once per batch, not once per
 * object. Per batch of one target: one statement reads the golden records with their links; each
 * user is matched (POST /.search) and created (POST), 16 requests in flight per target; one
 * statement records the links (remote id, pushed state and hash, version, status) and one
 * provisioning-log row per request. No job queue, rate limit, lock or plan: those are per batch
 * in such a design, and the floor leaves them out. Its rate against the target's own capacity is
 * the ceiling of the unthrottled ratio for a hub that batches everything.
 *
 * Environment: DATABASE_URL, FLOOR_TENANT, FLOOR_TARGETS (JSON [{ id, baseUrl }]).
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { Pool } from 'undici';
import { createRequest, matchRequest } from './scim-push-requests';

const BATCH = 64;
const IN_FLIGHT = 16;
/** Batches of one target in flight at once: the next is read while the last is recorded. */
const BATCHES_IN_FLIGHT = 2;
const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User';

interface FloorTarget {
  id: string;
  baseUrl: string;
}

interface Row {
  id: string;
  attributes: Record<string, unknown>;
  version: number;
}

async function main(): Promise<void> {
  const tenantId = process.env.FLOOR_TENANT!;
  const targets = JSON.parse(process.env.FLOOR_TARGETS!) as FloorTarget[];
  const db = new pg.Pool({
    connectionString: process.env.DATABASE_URL,
    max: targets.length * BATCHES_IN_FLIGHT,
  });
  await Promise.all(targets.map((t) => pushAll(db, tenantId, t)));
  await db.end();
}

async function pushAll(db: pg.Pool, tenantId: string, target: FloorTarget): Promise<void> {
  const http = new Pool(new URL(target.baseUrl).origin, { connections: IN_FLIGHT });
  const prefix = new URL(target.baseUrl).pathname;
  let after = '00000000-0000-0000-0000-000000000000';
  let reading = Promise.resolve();
  const next = async (): Promise<Row[]> => {
    // One reader at a time moves the cursor.
    let rows: Row[] = [];
    const read = reading.then(async () => {
      const r = await db.query<Row>(
        `SELECT r.id, r.attributes, r.version FROM resources r
         LEFT JOIN target_links l ON l.target_id = $2 AND l.resource_id = r.id
         WHERE r.tenant_id = $1 AND r.resource_type = 'User' AND r.id > $3
           AND l.pushed_version IS DISTINCT FROM r.version
         ORDER BY r.id LIMIT $4`,
        [tenantId, target.id, after, BATCH],
      );
      rows = r.rows;
      if (rows.length) after = rows[rows.length - 1]!.id;
    });
    reading = read;
    await read;
    return rows;
  };
  await Promise.all(
    Array.from({ length: BATCHES_IN_FLIGHT }, async () => {
      for (let rows = await next(); rows.length; rows = await next()) {
        const pushed = await mapLimit(rows, IN_FLIGHT, (r) => pushOne(http, prefix, r));
        await record(db, tenantId, target.id, rows, pushed);
      }
    }),
  );
  await http.close();
}

interface Pushed {
  remoteId: string;
  body: Record<string, unknown>;
  matchMs: number;
  createMs: number;
}

async function pushOne(http: Pool, prefix: string, r: Row): Promise<Pushed> {
  const a = r.attributes;
  const body: Record<string, unknown> = {
    schemas: [CORE],
    userName: a.userName,
    name: a.name,
    displayName: a.displayName,
    title: a.title,
    emails: a.emails,
    active: a.active,
    externalId: r.id,
  };
  let started = Date.now();
  const match = await http.request(matchRequest(prefix, String(a.userName)));
  const found = (await match.body.json()) as { totalResults: number };
  if (found.totalResults !== 0) throw new Error(`floor: ${String(a.userName)} is already at the target`);
  const matchMs = Date.now() - started;
  started = Date.now();
  const created = await http.request(createRequest(prefix, body));
  const answer = (await created.body.json()) as { id?: string };
  if (created.statusCode !== 201 || !answer.id)
    throw new Error(`floor: create answered ${created.statusCode}`);
  return { remoteId: answer.id, body, matchMs, createMs: Date.now() - started };
}

async function record(
  db: pg.Pool,
  tenantId: string,
  targetId: string,
  rows: readonly Row[],
  pushed: readonly Pushed[],
): Promise<void> {
  const links = rows.map((r, i) => {
    const p = pushed[i]!;
    const state = JSON.stringify(p.body);
    return {
      r: r.id,
      v: r.version,
      rid: p.remoteId,
      s: p.body,
      h: createHash('sha256').update(state).digest('base64url'),
      l: String(r.attributes.userName),
    };
  });
  const log = rows.flatMap((r, i) => {
    const p = pushed[i]!;
    const label = String(r.attributes.userName);
    return [
      { r: r.id, l: label, a: 'match', m: 'POST', p: '/Users/.search', st: 200, d: p.matchMs },
      {
        r: r.id,
        l: label,
        a: 'create',
        m: 'POST',
        p: '/Users',
        st: 201,
        d: p.createMs,
        x: { remoteId: p.remoteId },
      },
    ];
  });
  await db.query(
    `WITH links AS (
       INSERT INTO target_links (id, tenant_id, target_id, resource_id, resource_type, remote_id, pushed_state,
                                 pushed_hash, pushed_version, desired_version, status, last_pushed_at, updated_at)
       SELECT gen_random_uuid(), $1::uuid, $2::uuid, o.r, 'User', o.rid, o.s, o.h, o.v, o.v, 'synced', now(), now()
       FROM jsonb_to_recordset($3::jsonb) AS o(r uuid, v int, rid text, s json, h text, l text)
       ORDER BY o.r
       ON CONFLICT (target_id, resource_id) DO UPDATE SET remote_id = EXCLUDED.remote_id,
         pushed_state = EXCLUDED.pushed_state, pushed_hash = EXCLUDED.pushed_hash,
         pushed_version = EXCLUDED.pushed_version, status = 'synced', attempts = 0,
         last_pushed_at = now(), updated_at = now())
     INSERT INTO push_log (tenant_id, target_id, resource_id, resource_type, label, action, method, path,
                           status, outcome, detail, duration_ms)
     SELECT $1::uuid, $2::uuid, e.r, 'User', e.l, e.a, e.m, e.p, e.st, 'ok', e.x, e.d
     FROM jsonb_to_recordset($4::jsonb) AS e(r uuid, l text, a text, m text, p text, st int, d int, x jsonb)`,
    [tenantId, targetId, JSON.stringify(links), JSON.stringify(log)],
  );
}

/** `fn` over `items` with at most `limit` at once, results in the items' order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

main().catch((error: Error) => {
  console.error(`push floor failed: ${error.message}`);
  process.exit(1);
});
