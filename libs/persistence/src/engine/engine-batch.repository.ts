import { Injectable } from '@nestjs/common';
import type { Db } from '../db';
import type { TenantId } from '../tenant-id';
import { UniqueKeyTakenError } from '../scim/inbound-write.types';
import { EngineStore } from './engine-store.repository';
import type { GoldenWrite, LockedGolden, StoredContribution, StoredProvenance } from './engine-store.types';

/**
 * Set-based writes for batches of contributions (connector syncs, recomputes): one statement per
 * table and batch instead of one per record (ADR 0203). Types whose records hold `members` (held
 * in group_members) go through the per-record EngineStore path instead.
 */
@Injectable()
export class EngineBatchStore {
  constructor(private readonly store: EngineStore) {}

  /** Golden records under row locks (in id order: no deadlock between batches), then read. */
  async lockMany(
    tx: Db,
    tenantId: TenantId,
    resourceType: string,
    ids: readonly string[],
  ): Promise<Map<string, LockedGolden>> {
    const out = new Map<string, LockedGolden>();
    if (ids.length === 0) return out;
    const sorted = [...new Set(ids)].sort();
    await tx.$queryRawUnsafe(
      `SELECT 1 FROM resources WHERE tenant_id = $1::uuid AND resource_type = $2 AND id = ANY($3::uuid[]) ORDER BY id FOR UPDATE`,
      tenantId,
      resourceType,
      sorted,
    );
    for (const g of await this.store.readLockedMany(tx, tenantId, resourceType, sorted)) out.set(g.id, g);
    return out;
  }

  /** The source's stored contributions for these keys. */
  async contributionsByKeys(
    tx: Db,
    tenantId: TenantId,
    sourceId: string,
    resourceType: string,
    keys: readonly string[],
  ): Promise<Map<string, StoredContribution>> {
    const rows = await this.store.contributionsByKeys(tx, tenantId, sourceId, resourceType, keys);
    return new Map(rows.map((c) => [c.sourceKey, c]));
  }

  /** Upserts contributions of one source; returns their ids by source key. */
  async saveContributions(
    tx: Db,
    tenantId: TenantId,
    sourceId: string,
    resourceType: string,
    rows: readonly {
      sourceKey: string;
      externalId: string | null;
      resourceId: string | null;
      attributes: Record<string, unknown>;
      hash: string;
      assertedAt: Date;
    }[],
  ): Promise<Map<string, string>> {
    if (rows.length === 0) return new Map();
    // Rows as one JSON document (jsonb_to_recordset): an array parameter of JSON texts costs the
    // driver an escaping pass over every character of every document.
    const result = await tx.$queryRawUnsafe<Array<{ id: string; source_key: string }>>(
      `INSERT INTO contributions (id, tenant_id, source_id, resource_type, source_key, external_id, resource_id,
                                  attributes, hash, asserted_at, created_at, updated_at)
       SELECT gen_random_uuid(), $1::uuid, $2::uuid, $3, u.k, u.e, u.r, u.a, u.h, u.t, now(), now()
       FROM jsonb_to_recordset($4::jsonb) AS u(k text, e text, r uuid, a jsonb, h text, t timestamptz)
       ON CONFLICT (source_id, resource_type, source_key) DO UPDATE SET
         external_id = EXCLUDED.external_id, resource_id = EXCLUDED.resource_id, attributes = EXCLUDED.attributes,
         hash = EXCLUDED.hash, asserted_at = EXCLUDED.asserted_at, deleted_at = NULL, updated_at = now()
       RETURNING id, source_key`,
      tenantId,
      sourceId,
      resourceType,
      JSON.stringify(
        rows.map((r) => ({
          k: r.sourceKey,
          e: r.externalId,
          r: r.resourceId,
          a: r.attributes,
          h: r.hash,
          t: r.assertedAt,
        })),
      ),
    );
    return new Map(result.map((r) => [r.source_key, r.id]));
  }

  /**
   * New golden records (version 1) with provenance and `created` outbox rows; a userName already
   * taken fails the batch (UniqueKeyTakenError) rather than merging on a guess.
   */
  async insertMany(
    tx: Db,
    tenantId: TenantId,
    resourceType: string,
    rows: readonly (GoldenWrite & { id: string; provenance: StoredProvenance })[],
  ): Promise<void> {
    if (rows.length === 0) return;
    const inserted = await tx.$queryRawUnsafe<Array<{ n: number }>>(
      `WITH u AS MATERIALIZED (SELECT * FROM ROWS FROM (jsonb_to_recordset($3::jsonb) AS (${GOLDEN_RECORD})) WITH ORDINALITY AS u(${GOLDEN_NAMES}, o)),
       ins AS (
         INSERT INTO resources (id, tenant_id, resource_type, attributes, version, name_key, lifecycle_state,
                                suspended_at, delete_after, created_at, updated_at)
         SELECT u.id, $1::uuid, $2, u.a, 1, u.n, u.ls::lifecycle_state, u.sa, u.da, now(), now() FROM u
         ON CONFLICT (tenant_id, resource_type, name_key) DO NOTHING
         RETURNING id),
       prov AS (
         INSERT INTO resource_provenance (resource_id, tenant_id, entries, updated_at)
         SELECT u.id, $1::uuid, u.p, now() FROM u WHERE u.id IN (SELECT id FROM ins)),
       ob AS (
         INSERT INTO outbox (tenant_id, resource_type, resource_id, version, kind)
         SELECT $1::uuid, $2, u.id, 1, 'created' FROM u WHERE u.id IN (SELECT id FROM ins) ORDER BY u.o)
       SELECT count(*)::int AS n FROM ins`,
      tenantId,
      resourceType,
      goldenDocument(rows),
    );
    if ((inserted[0]?.n ?? 0) < rows.length) throw new UniqueKeyTakenError(resourceType);
  }

  /** New versions of locked golden records, with provenance and `updated` outbox rows. */
  async updateMany(
    tx: Db,
    tenantId: TenantId,
    rows: readonly (GoldenWrite & { id: string; provenance: StoredProvenance })[],
  ): Promise<void> {
    if (rows.length === 0) return;
    await tx.$executeRawUnsafe(
      `WITH u AS MATERIALIZED (SELECT * FROM jsonb_to_recordset($2::jsonb) AS u(${GOLDEN_RECORD})),
       upd AS (
         UPDATE resources r SET attributes = u.a, name_key = u.n, lifecycle_state = u.ls::lifecycle_state,
           suspended_at = u.sa, delete_after = u.da, version = r.version + 1, updated_at = now()
         FROM u WHERE r.tenant_id = $1::uuid AND r.id = u.id
         RETURNING r.id, r.resource_type, r.version),
       prov AS (
         INSERT INTO resource_provenance (resource_id, tenant_id, entries, updated_at)
         SELECT u.id, $1::uuid, u.p, now() FROM u
         ON CONFLICT (resource_id) DO UPDATE SET entries = EXCLUDED.entries, updated_at = now())
       INSERT INTO outbox (tenant_id, resource_type, resource_id, version, kind)
       SELECT $1::uuid, resource_type, id, version, 'updated' FROM upd ORDER BY id`,
      tenantId,
      goldenDocument(rows),
    );
  }

  async saveProvenanceMany(
    tx: Db,
    tenantId: TenantId,
    rows: readonly { id: string; provenance: StoredProvenance }[],
  ): Promise<void> {
    if (rows.length === 0) return;
    await tx.$executeRawUnsafe(
      `INSERT INTO resource_provenance (resource_id, tenant_id, entries, updated_at)
       SELECT u.id, $1::uuid, u.p, now() FROM jsonb_to_recordset($2::jsonb) AS u(id uuid, p jsonb)
       ON CONFLICT (resource_id) DO UPDATE SET entries = EXCLUDED.entries, updated_at = now()`,
      tenantId,
      JSON.stringify(rows.map((r) => ({ id: r.id, p: r.provenance }))),
    );
  }

  /** Candidates for many values of one matcher at once: value → golden ids. */
  async findByMatchKeys(
    tx: Db,
    tenantId: TenantId,
    resourceType: string,
    matcher: string,
    values: readonly string[],
  ): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (values.length === 0) return out;
    const rows = await tx.$queryRawUnsafe<Array<{ value: string; resource_id: string }>>(
      `SELECT value, resource_id FROM engine_match_keys
       WHERE tenant_id = $1::uuid AND resource_type = $2 AND matcher = $3 AND value = ANY($4::text[])`,
      tenantId,
      resourceType,
      matcher,
      [...new Set(values)],
    );
    for (const r of rows) {
      const list = out.get(r.value);
      if (list) list.push(r.resource_id);
      else out.set(r.value, [r.resource_id]);
    }
    return out;
  }

  async replaceMatchKeysMany(
    tx: Db,
    tenantId: TenantId,
    resourceType: string,
    ids: readonly string[],
    keys: readonly { resourceId: string; matcher: string; value: string }[],
  ): Promise<void> {
    if (ids.length === 0) return;
    await tx.$executeRawUnsafe(`DELETE FROM engine_match_keys WHERE resource_id = ANY($1::uuid[])`, ids);
    if (keys.length === 0) return;
    await tx.$executeRawUnsafe(
      `INSERT INTO engine_match_keys (tenant_id, resource_type, matcher, value, resource_id)
       SELECT $1::uuid, $2, k.m, k.v, k.r FROM unnest($3::text[], $4::text[], $5::uuid[]) AS k(m, v, r) ON CONFLICT DO NOTHING`,
      tenantId,
      resourceType,
      keys.map((k) => k.matcher),
      keys.map((k) => k.value),
      keys.map((k) => k.resourceId),
    );
  }
}

/** The columns of `goldenDocument`'s rows, for jsonb_to_recordset. */
const GOLDEN_RECORD = 'id uuid, a jsonb, n text, ls text, sa timestamptz, da timestamptz, p jsonb';
const GOLDEN_NAMES = 'id, a, n, ls, sa, da, p';

/** New or changed golden records as one JSON document of rows (see GOLDEN_RECORD). */
function goldenDocument(
  rows: readonly (GoldenWrite & { id: string; provenance: StoredProvenance })[],
): string {
  return JSON.stringify(
    rows.map((r) => ({
      id: r.id,
      a: r.attributes,
      n: r.nameKey,
      ls: r.lifecycleState,
      sa: r.suspendedAt,
      da: r.deleteAfter,
      p: r.provenance,
    })),
  );
}
