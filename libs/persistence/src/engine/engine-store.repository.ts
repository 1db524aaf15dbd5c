import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Db } from '../db';
import { PrismaService } from '../prisma.service';
import type { TenantId } from '../tenant-id';
import { UniqueKeyTakenError } from '../scim/inbound-write.types';
import type {
  ContributionWrite,
  GoldenWrite,
  LockedGolden,
  OutboxKind,
  StoredContribution,
  StoredGolden,
  StoredProvenance,
} from './engine-store.types';

/**
 * Interactive transactions wait for a pooled connection under load instead of failing after 2 s;
 * writers of one hot record queue on its row lock while holding a connection, so the wait is long.
 */

const GOLDEN_COLUMNS = `r.id, r.resource_type, r.attributes, r.version, r.lifecycle_state, r.suspended_at,
  r.delete_after, r.created_at, r.updated_at,
  CASE WHEN jsonb_typeof(r.attributes -> 'members') = 'array' THEN (
    SELECT COALESCE(jsonb_agg(jsonb_strip_nulls(jsonb_build_object('value', gm.member_id::text, 'type', gm.member_type, 'display', gm.display)) ORDER BY gm.seq), '[]'::jsonb)
    FROM group_members gm WHERE gm.group_id = r.id) END AS members`;

const CONTRIBUTION_COLUMNS = `c.id, c.source_id, c.source_key, c.resource_type, c.external_id, c.resource_id,
  c.attributes, c.hash, c.asserted_at, c.deleted_at`;

interface GoldenRow {
  id: string;
  resource_type: string;
  attributes: Record<string, unknown>;
  version: number;
  lifecycle_state: StoredGolden['lifecycleState'];
  suspended_at: Date | null;
  delete_after: Date | null;
  created_at: Date;
  updated_at: Date;
  members: unknown[] | null;
}

/** A contributions row as `to_jsonb` renders it (timestamps as text). */
type ContributionJson = Omit<ContributionRow, 'asserted_at' | 'deleted_at'> & {
  asserted_at: string;
  deleted_at: string | null;
};

interface ContributionRow {
  id: string;
  source_id: string;
  source_key: string;
  resource_type: string;
  external_id: string | null;
  resource_id: string | null;
  attributes: Record<string, unknown>;
  hash: string;
  asserted_at: Date;
  deleted_at: Date | null;
}

/**
 * The aggregation engine's writes (ADR 0203). Every method takes the open transaction: one
 * assertion is one transaction (contribution, golden record, provenance, match keys, outbox,
 * audit), so callers compose these inside `transaction()`.
 */
@Injectable()
export class EngineStore {
  constructor(private readonly prisma: PrismaService) {}

  /** The pool, for reads outside a write (admin views, previews). */
  get db(): Db {
    return this.prisma;
  }

  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    try {
      return await this.prisma.sqlTransaction((tx) => fn(tx));
    } catch (error) {
      // Two writers can still race on the unique userName index; the loser answers 409.
      if (
        !(error instanceof UniqueKeyTakenError) &&
        /23505|unique constraint/i.test(String((error as Error)?.message)) &&
        /name_key|resources_tenant_id_resource_type_name_key/i.test(String((error as Error)?.message))
      )
        throw new UniqueKeyTakenError('resource');
      throw error;
    }
  }

  /**
   * Fresh planner statistics for the engine's tables after a bulk change (the first full sync of a
   * directory): autovacuum gets to them only within a minute or so, and until then statements are
   * planned for the tables as they were — a delta's lookup of 100 keys by scanning 100,000
   * contributions (585 ms) instead of probing the unique index. What the planner lacked is the
   * tables' sizes and the key columns' spread, which a small sample gives: only the columns
   * statements select and join on (the JSON documents' statistics plan nothing here), from a
   * tenth of the usual sample. The full refresh cost 2 s at 300,000 contributions, every 15 s of a
   * bulk load, on a core the writes share; autovacuum still takes full statistics later.
   */
  async refreshStatistics(): Promise<void> {
    await this.prisma.sqlTransaction(async (tx) => {
      await tx.$executeRawUnsafe('SET LOCAL default_statistics_target = 10');
      await tx.$executeRawUnsafe(
        `ANALYZE contributions (tenant_id, source_id, resource_type, source_key, external_id, resource_id, deleted_at),
           resources (tenant_id, resource_type, id, name_key, lifecycle_state, updated_at, delete_after),
           resource_provenance (resource_id, tenant_id),
           engine_match_keys,
           group_members (tenant_id, group_id, member_id)`,
      );
    });
  }

  /** Advisory locks for correlation keys, taken in the order given (callers sort them). */
  async lockKeys(tx: Db, keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await tx.$executeRawUnsafe(
      `SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) WITH ORDINALITY AS t(k, n) ORDER BY n`,
      keys,
    );
  }

  /**
   * The golden record under a row lock (every writer of one record queues here), with its
   * contributions, provenance and the rule revision.
   */
  async lockGolden(
    tx: Db,
    tenantId: TenantId,
    resourceType: string,
    id: string,
  ): Promise<LockedGolden | null> {
    // Lock first, read after, in two statements: a statement that waited for the lock still reads
    // its sub-selects from the snapshot taken before the wait (READ COMMITTED), so contributions
    // read in the locking statement could miss the previous writer's (a lost update).
    const locked = await tx.$queryRawUnsafe<unknown[]>(
      `SELECT 1 FROM resources r WHERE r.tenant_id = $1::uuid AND r.resource_type = $2 AND r.id = $3::uuid FOR UPDATE`,
      tenantId,
      resourceType,
      id,
    );
    if (locked.length === 0) return null;
    return (await this.readLocked(tx, tenantId, resourceType, [id]))[0] ?? null;
  }

  /** Golden records with contributions, provenance and rule revision; call after locking them. */
  async readLocked(
    tx: Db,
    tenantId: TenantId,
    resourceType: string,
    ids: readonly string[],
  ): Promise<LockedGolden[]> {
    const rows = await tx.$queryRawUnsafe<Array<LockedRow & { contributions: ContributionJson[] | null }>>(
      `SELECT ${GOLDEN_COLUMNS}, r.name_key,
         (SELECT jsonb_agg(to_jsonb(c)) FROM contributions c WHERE c.tenant_id = r.tenant_id AND c.resource_id = r.id) AS contributions,
         (SELECT p.entries FROM resource_provenance p WHERE p.resource_id = r.id) AS entries,
         (SELECT s.revision FROM engine_rule_sets s WHERE s.tenant_id = r.tenant_id AND s.resource_type = r.resource_type) AS rule_revision
       FROM resources r
       WHERE r.tenant_id = $1::uuid AND r.resource_type = $2 AND r.id = ANY($3::uuid[])`,
      tenantId,
      resourceType,
      ids,
    );
    return rows.map((row) => locked(row, (row.contributions ?? []).map(contributionFromJson)));
  }

  /**
   * `readLocked` for many records at once (batches): the records with their provenance and rule
   * revision, then their contributions as rows — one statement each instead of three sub-selects
   * and a JSON aggregate per record.
   */
  async readLockedMany(
    tx: Db,
    tenantId: TenantId,
    resourceType: string,
    ids: readonly string[],
  ): Promise<LockedGolden[]> {
    if (ids.length === 0) return [];
    const rows = await tx.$queryRawUnsafe<LockedRow[]>(
      `SELECT ${GOLDEN_COLUMNS}, r.name_key, p.entries, s.revision AS rule_revision
       FROM resources r
       LEFT JOIN resource_provenance p ON p.resource_id = r.id
       LEFT JOIN engine_rule_sets s ON s.tenant_id = r.tenant_id AND s.resource_type = r.resource_type
       WHERE r.tenant_id = $1::uuid AND r.resource_type = $2 AND r.id = ANY($3::uuid[])`,
      tenantId,
      resourceType,
      ids,
    );
    const contributions = await this.contributionsOfMany(tx, tenantId, ids);
    return rows.map((row) => locked(row, contributions.get(row.id) ?? []));
  }

  async contributionsByKeys(
    db: Db,
    tenantId: TenantId,
    sourceId: string,
    resourceType: string,
    keys: readonly string[],
  ): Promise<StoredContribution[]> {
    if (keys.length === 0) return [];
    const rows = await db.$queryRawUnsafe<ContributionRow[]>(
      `SELECT ${CONTRIBUTION_COLUMNS} FROM contributions c
       WHERE c.tenant_id = $1::uuid AND c.source_id = $2::uuid AND c.resource_type = $3 AND c.source_key = ANY($4::text[])`,
      tenantId,
      sourceId,
      resourceType,
      keys,
    );
    return rows.map(contribution);
  }

  /** A source's roles, read on the write's own connection (never a second pooled one while locking). */
  async sourceRoles(
    tx: Db,
    tenantId: TenantId,
    sourceId: string,
  ): Promise<Record<string, { create?: boolean }> | null> {
    const rows = await tx.$queryRawUnsafe<Array<{ roles: Record<string, { create?: boolean }> }>>(
      `SELECT roles FROM sources WHERE tenant_id = $1::uuid AND id = $2::uuid`,
      tenantId,
      sourceId,
    );
    return rows[0]?.roles ?? null;
  }

  /** Resources of the tenant with these ids, for member resolution inside a write. */
  async findMembers(
    tx: Db,
    tenantId: TenantId,
    ids: readonly string[],
  ): Promise<Array<{ id: string; resourceType: string; display: string | null }>> {
    const valid = ids.filter((id) => UUID.test(id));
    if (valid.length === 0) return [];
    const rows = await tx.$queryRawUnsafe<
      Array<{ id: string; resource_type: string; display: string | null }>
    >(
      `SELECT r.id, r.resource_type, COALESCE(r.attributes ->> 'displayName', r.attributes ->> 'userName') AS display
       FROM resources r WHERE r.tenant_id = $1::uuid AND r.id = ANY($2::uuid[])`,
      tenantId,
      valid,
    );
    return rows.map((r) => ({ id: r.id, resourceType: r.resource_type, display: r.display }));
  }

  /** Suspended golden records whose grace period is over, all tenants, oldest due first. */
  async dueForDeletion(
    limit: number,
  ): Promise<Array<{ tenantId: TenantId; resourceType: string; id: string }>> {
    const rows = await this.prisma.$queryRawUnsafe<
      Array<{ tenant_id: string; resource_type: string; id: string }>
    >(
      `SELECT tenant_id, resource_type, id FROM resources
       WHERE lifecycle_state = 'suspended' AND delete_after <= now() ORDER BY delete_after LIMIT $1`,
      limit,
    );
    return rows.map((r) => ({ tenantId: r.tenant_id as TenantId, resourceType: r.resource_type, id: r.id }));
  }

  /** Parked contributions of every tenant (the rejoin sweep), in id order after `after`. */
  async parked(
    limit: number,
    after: string | null,
  ): Promise<Array<{ tenantId: TenantId; resourceType: string; id: string }>> {
    const rows = await this.prisma.$queryRawUnsafe<
      Array<{ tenant_id: string; resource_type: string; id: string }>
    >(
      `SELECT tenant_id, resource_type, id FROM contributions
       WHERE resource_id IS NULL AND deleted_at IS NULL AND ($2::uuid IS NULL OR id > $2::uuid) ORDER BY id LIMIT $1`,
      limit,
      after,
    );
    return rows.map((r) => ({ tenantId: r.tenant_id as TenantId, resourceType: r.resource_type, id: r.id }));
  }

  /** A parked contribution under a row lock; null when another sweeper has it or it joined meanwhile. */
  async lockParked(tx: Db, tenantId: TenantId, id: string): Promise<StoredContribution | null> {
    const rows = await tx.$queryRawUnsafe<ContributionRow[]>(
      `SELECT ${CONTRIBUTION_COLUMNS} FROM contributions c
       WHERE c.tenant_id = $1::uuid AND c.id = $2::uuid AND c.resource_id IS NULL AND c.deleted_at IS NULL
       FOR UPDATE SKIP LOCKED`,
      tenantId,
      id,
    );
    return rows[0] ? contribution(rows[0]) : null;
  }

  /** Read-only (explanations, previews). */
  async readGolden(db: Db, tenantId: TenantId, id: string): Promise<StoredGolden | null> {
    const rows = await db.$queryRawUnsafe<GoldenRow[]>(
      `SELECT ${GOLDEN_COLUMNS} FROM resources r WHERE r.tenant_id = $1::uuid AND r.id = $2::uuid`,
      tenantId,
      id,
    );
    return rows[0] ? golden(rows[0]) : null;
  }

  /** Golden ids of a type in id order after `after` (recompute and preview walk with this). */
  async goldenIds(
    db: Db,
    tenantId: TenantId,
    resourceType: string,
    after: string | null,
    limit: number,
  ): Promise<string[]> {
    const rows = await db.$queryRawUnsafe<Array<{ id: string }>>(
      `SELECT id FROM resources WHERE tenant_id = $1::uuid AND resource_type = $2
         AND ($3::uuid IS NULL OR id > $3::uuid) ORDER BY id LIMIT $4`,
      tenantId,
      resourceType,
      after,
      limit,
    );
    return rows.map((r) => r.id);
  }

  async countGolden(db: Db, tenantId: TenantId, resourceType: string): Promise<number> {
    const rows = await db.$queryRawUnsafe<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM resources WHERE tenant_id = $1::uuid AND resource_type = $2`,
      tenantId,
      resourceType,
    );
    return rows[0]?.n ?? 0;
  }

  /** Every contribution joined to a golden record, deleted ones included (they explain history). */
  async contributionsOf(db: Db, tenantId: TenantId, resourceId: string): Promise<StoredContribution[]> {
    const rows = await db.$queryRawUnsafe<ContributionRow[]>(
      `SELECT ${CONTRIBUTION_COLUMNS} FROM contributions c WHERE c.tenant_id = $1::uuid AND c.resource_id = $2::uuid`,
      tenantId,
      resourceId,
    );
    return rows.map(contribution);
  }

  /** Contributions of many golden records (preview, recompute batches), grouped by record. */
  async contributionsOfMany(
    db: Db,
    tenantId: TenantId,
    resourceIds: readonly string[],
  ): Promise<Map<string, StoredContribution[]>> {
    const out = new Map<string, StoredContribution[]>(resourceIds.map((id) => [id, []]));
    if (resourceIds.length === 0) return out;
    const rows = await db.$queryRawUnsafe<ContributionRow[]>(
      `SELECT ${CONTRIBUTION_COLUMNS} FROM contributions c WHERE c.tenant_id = $1::uuid AND c.resource_id = ANY($2::uuid[])`,
      tenantId,
      resourceIds,
    );
    for (const row of rows) out.get(row.resource_id!)?.push(contribution(row));
    return out;
  }

  async contributionByKey(
    db: Db,
    tenantId: TenantId,
    sourceId: string,
    resourceType: string,
    sourceKey: string,
  ): Promise<StoredContribution | null> {
    const rows = await db.$queryRawUnsafe<ContributionRow[]>(
      `SELECT ${CONTRIBUTION_COLUMNS} FROM contributions c
       WHERE c.tenant_id = $1::uuid AND c.source_id = $2::uuid AND c.resource_type = $3 AND c.source_key = $4`,
      tenantId,
      sourceId,
      resourceType,
      sourceKey,
    );
    return rows[0] ? contribution(rows[0]) : null;
  }

  async contributionById(db: Db, tenantId: TenantId, id: string): Promise<StoredContribution | null> {
    const rows = await db.$queryRawUnsafe<ContributionRow[]>(
      `SELECT ${CONTRIBUTION_COLUMNS} FROM contributions c WHERE c.tenant_id = $1::uuid AND c.id = $2::uuid`,
      tenantId,
      id,
    );
    return rows[0] ? contribution(rows[0]) : null;
  }

  /** Live contributions not joined to any golden record (parked), oldest first. */
  async uncorrelated(
    db: Db,
    tenantId: TenantId,
    options: { resourceType?: string; limit: number; after?: string },
  ): Promise<StoredContribution[]> {
    const rows = await db.$queryRawUnsafe<ContributionRow[]>(
      `SELECT ${CONTRIBUTION_COLUMNS} FROM contributions c
       WHERE c.tenant_id = $1::uuid AND c.resource_id IS NULL AND c.deleted_at IS NULL
         AND ($2::text IS NULL OR c.resource_type = $2) AND ($3::uuid IS NULL OR c.id > $3::uuid)
       ORDER BY c.id LIMIT $4`,
      tenantId,
      options.resourceType ?? null,
      options.after ?? null,
      options.limit,
    );
    return rows.map(contribution);
  }

  /** Inserts or replaces the source's contribution (unique per source, type and key); returns its id. */
  async saveContribution(tx: Db, tenantId: TenantId, c: ContributionWrite): Promise<string> {
    const rows = await tx.$queryRawUnsafe<Array<{ id: string }>>(
      `INSERT INTO contributions (id, tenant_id, source_id, resource_type, source_key, external_id, resource_id,
                                  attributes, hash, asserted_at, deleted_at, created_at, updated_at)
       VALUES ($1::uuid, $2::uuid, $3::uuid, $4, $5, $6, $7::uuid, $8::jsonb, $9, $10::timestamptz,
               CASE WHEN $11::boolean THEN $10::timestamptz END, now(), now())
       ON CONFLICT (source_id, resource_type, source_key) DO UPDATE SET
         external_id = EXCLUDED.external_id, resource_id = EXCLUDED.resource_id, attributes = EXCLUDED.attributes,
         hash = EXCLUDED.hash, asserted_at = EXCLUDED.asserted_at, deleted_at = EXCLUDED.deleted_at, updated_at = now()
       RETURNING id`,
      randomUUID(),
      tenantId,
      c.sourceId,
      c.resourceType,
      c.sourceKey,
      c.externalId,
      c.resourceId,
      JSON.stringify(c.attributes),
      c.hash,
      c.assertedAt,
      c.deleted,
    );
    return rows[0]!.id;
  }

  async linkContribution(
    tx: Db,
    tenantId: TenantId,
    contributionId: string,
    resourceId: string | null,
  ): Promise<void> {
    await tx.$executeRawUnsafe(
      `UPDATE contributions SET resource_id = $3::uuid, updated_at = now() WHERE tenant_id = $1::uuid AND id = $2::uuid`,
      tenantId,
      contributionId,
      resourceId,
    );
  }

  /** Creates a golden record (version 1); a taken userName is a UniqueKeyTakenError. */
  async insertGolden(
    tx: Db,
    tenantId: TenantId,
    resourceType: string,
    id: string,
    g: GoldenWrite,
  ): Promise<{ createdAt: Date; updatedAt: Date }> {
    const rows = await tx.$queryRawUnsafe<Array<{ created_at: Date; updated_at: Date }>>(
      `INSERT INTO resources (id, tenant_id, resource_type, attributes, version, name_key, lifecycle_state,
                              suspended_at, delete_after, created_at, updated_at)
       VALUES ($1::uuid, $2::uuid, $3, $4::jsonb, 1, $5, $6::lifecycle_state, $7::timestamptz, $8::timestamptz, now(), now())
       ON CONFLICT (tenant_id, resource_type, name_key) DO NOTHING
       RETURNING created_at, updated_at`,
      id,
      tenantId,
      resourceType,
      storedJson(g.attributes),
      g.nameKey,
      g.lifecycleState,
      g.suspendedAt,
      g.deleteAfter,
    );
    if (rows.length === 0) throw new UniqueKeyTakenError(resourceType);
    await this.syncMembers(tx, tenantId, id, undefined, g.attributes['members']);
    return { createdAt: rows[0]!.created_at, updatedAt: rows[0]!.updated_at };
  }

  /**
   * Writes a new version of a locked golden record with its provenance and outbox row in one
   * statement; a userName taken by another record fails on the unique index (UniqueKeyTakenError
   * from transaction()). Returns the version and time.
   */
  async updateGolden(
    tx: Db,
    tenantId: TenantId,
    current: StoredGolden,
    g: GoldenWrite,
    provenance: StoredProvenance,
  ): Promise<{ version: number; updatedAt: Date }> {
    const rows = await tx.$queryRawUnsafe<Array<{ version: number; updated_at: Date }>>(
      `WITH upd AS (
         UPDATE resources SET attributes = $2::jsonb, name_key = $3, lifecycle_state = $4::lifecycle_state,
           suspended_at = $5::timestamptz, delete_after = $6::timestamptz, version = version + 1, updated_at = now()
         WHERE id = $1::uuid RETURNING id, tenant_id, resource_type, version, updated_at),
       prov AS (
         INSERT INTO resource_provenance (resource_id, tenant_id, entries, updated_at)
         SELECT id, tenant_id, $7::jsonb, now() FROM upd
         ON CONFLICT (resource_id) DO UPDATE SET entries = EXCLUDED.entries, updated_at = now()),
       ob AS (
         INSERT INTO outbox (tenant_id, resource_type, resource_id, version, kind)
         SELECT tenant_id, resource_type, id, version, 'updated' FROM upd)
       SELECT version, updated_at FROM upd`,
      current.id,
      storedJson(g.attributes),
      g.nameKey,
      g.lifecycleState,
      g.suspendedAt,
      g.deleteAfter,
      JSON.stringify(provenance),
    );
    await this.syncMembers(tx, tenantId, current.id, current.attributes['members'], g.attributes['members']);
    return { version: rows[0]!.version, updatedAt: rows[0]!.updated_at };
  }

  /**
   * Deletes a golden record: its memberships (each group a new version, returned for the outbox),
   * provenance and match keys go with it; contributions stay (unlinked) for the record's history.
   */
  async deleteGolden(
    tx: Db,
    tenantId: TenantId,
    id: string,
  ): Promise<Array<{ id: string; version: number }>> {
    const groups = await tx.$queryRawUnsafe<Array<{ id: string }>>(
      `SELECT g.id FROM resources g
       WHERE g.id IN (SELECT gm.group_id FROM group_members gm WHERE gm.tenant_id = $1::uuid AND gm.member_id = $2::uuid)
       ORDER BY g.id FOR UPDATE`,
      tenantId,
      id,
    );
    let bumped: Array<{ id: string; version: number }> = [];
    if (groups.length > 0) {
      await tx.$executeRawUnsafe(
        `DELETE FROM group_members WHERE tenant_id = $1::uuid AND member_id = $2::uuid`,
        tenantId,
        id,
      );
      // The groups' sources still list the member: drop it there too, or it would come back.
      await tx.$executeRawUnsafe(
        `UPDATE contributions SET attributes = jsonb_set(attributes, '{members}', (
           SELECT COALESCE(jsonb_agg(m), '[]'::jsonb) FROM jsonb_array_elements(attributes -> 'members') m
           WHERE m ->> 'value' IS DISTINCT FROM $3)), updated_at = now()
         WHERE tenant_id = $1::uuid AND resource_id = ANY($2::uuid[]) AND jsonb_typeof(attributes -> 'members') = 'array'`,
        tenantId,
        groups.map((g) => g.id),
        id,
      );
      bumped = await tx.$queryRawUnsafe<Array<{ id: string; version: number }>>(
        `UPDATE resources SET version = version + 1, updated_at = now() WHERE id = ANY($1::uuid[]) RETURNING id, version`,
        groups.map((g) => g.id),
      );
    }
    await tx.$executeRawUnsafe(`DELETE FROM resource_provenance WHERE resource_id = $1::uuid`, id);
    await tx.$executeRawUnsafe(`DELETE FROM engine_match_keys WHERE resource_id = $1::uuid`, id);
    await tx.$executeRawUnsafe(
      `DELETE FROM resources WHERE tenant_id = $1::uuid AND id = $2::uuid`,
      tenantId,
      id,
    );
    return bumped;
  }

  async provenance(db: Db, resourceId: string): Promise<StoredProvenance | null> {
    const rows = await db.$queryRawUnsafe<Array<{ entries: StoredProvenance }>>(
      `SELECT entries FROM resource_provenance WHERE resource_id = $1::uuid`,
      resourceId,
    );
    return rows[0]?.entries ?? null;
  }

  async saveProvenance(
    tx: Db,
    tenantId: TenantId,
    resourceId: string,
    entries: StoredProvenance,
  ): Promise<void> {
    await tx.$executeRawUnsafe(
      `INSERT INTO resource_provenance (resource_id, tenant_id, entries, updated_at) VALUES ($1::uuid, $2::uuid, $3::jsonb, now())
       ON CONFLICT (resource_id) DO UPDATE SET entries = EXCLUDED.entries, updated_at = now()`,
      resourceId,
      tenantId,
      JSON.stringify(entries),
    );
  }

  /** Golden ids indexed under any of `values` for `matcher`. */
  async findByMatchKey(
    db: Db,
    tenantId: TenantId,
    resourceType: string,
    matcher: string,
    values: readonly string[],
  ): Promise<string[]> {
    if (values.length === 0) return [];
    const rows = await db.$queryRawUnsafe<Array<{ resource_id: string }>>(
      `SELECT DISTINCT resource_id FROM engine_match_keys
       WHERE tenant_id = $1::uuid AND resource_type = $2 AND matcher = $3 AND value = ANY($4::text[])`,
      tenantId,
      resourceType,
      matcher,
      values,
    );
    return rows.map((r) => r.resource_id).sort();
  }

  async replaceMatchKeys(
    tx: Db,
    tenantId: TenantId,
    resourceType: string,
    resourceId: string,
    keys: readonly { matcher: string; value: string }[],
  ): Promise<void> {
    await tx.$executeRawUnsafe(`DELETE FROM engine_match_keys WHERE resource_id = $1::uuid`, resourceId);
    if (keys.length === 0) return;
    await tx.$executeRawUnsafe(
      `INSERT INTO engine_match_keys (tenant_id, resource_type, matcher, value, resource_id)
       SELECT $1::uuid, $2, k.m, k.v, $3::uuid FROM unnest($4::text[], $5::text[]) AS k(m, v) ON CONFLICT DO NOTHING`,
      tenantId,
      resourceType,
      resourceId,
      keys.map((k) => k.matcher),
      keys.map((k) => k.value),
    );
  }

  async outbox(
    tx: Db,
    tenantId: TenantId,
    resourceType: string,
    resourceId: string,
    version: number,
    kind: OutboxKind,
  ): Promise<void> {
    await tx.$executeRawUnsafe(
      `INSERT INTO outbox (tenant_id, resource_type, resource_id, version, kind) VALUES ($1::uuid, $2, $3::uuid, $4, $5)`,
      tenantId,
      resourceType,
      resourceId,
      version,
      kind,
    );
  }

  /** Keeps `group_members` equal to the golden `members` (ADR 0303's layout). */
  private async syncMembers(
    tx: Db,
    tenantId: TenantId,
    groupId: string,
    before: unknown,
    after: unknown,
  ): Promise<void> {
    if (!Array.isArray(before) && !Array.isArray(after)) return;
    const old = new Map(memberRows(before).map((m) => [m.value, m]));
    const next = memberRows(after);
    const nextIds = new Set(next.map((m) => m.value));
    const removed = [...old.keys()].filter((v) => !nextIds.has(v));
    const added = next.filter((m) => !old.has(m.value));
    const changed = next.filter((m) => {
      const o = old.get(m.value);
      return o !== undefined && (o.type !== m.type || o.display !== m.display);
    });
    if (removed.length > 0)
      await tx.$executeRawUnsafe(
        `DELETE FROM group_members WHERE group_id = $1::uuid AND member_id = ANY($2::uuid[])`,
        groupId,
        removed,
      );
    if (added.length > 0)
      await tx.$executeRawUnsafe(
        `INSERT INTO group_members (tenant_id, group_id, member_id, member_type, display)
         SELECT $1::uuid, $2::uuid, m.id, m.type, m.display
         FROM unnest($3::uuid[], $4::text[], $5::text[]) WITH ORDINALITY AS m(id, type, display, n)
         WHERE EXISTS (SELECT 1 FROM resources x WHERE x.id = m.id AND x.tenant_id = $1::uuid)
         ORDER BY m.n ON CONFLICT DO NOTHING`,
        tenantId,
        groupId,
        added.map((m) => m.value),
        added.map((m) => m.type),
        added.map((m) => m.display),
      );
    if (changed.length > 0)
      await tx.$executeRawUnsafe(
        `UPDATE group_members gm SET member_type = m.type, display = m.display
         FROM unnest($3::uuid[], $4::text[], $5::text[]) AS m(id, type, display)
         WHERE gm.tenant_id = $1::uuid AND gm.group_id = $2::uuid AND gm.member_id = m.id`,
        tenantId,
        groupId,
        changed.map((m) => m.value),
        changed.map((m) => m.type),
        changed.map((m) => m.display),
      );
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface MemberRow {
  value: string;
  type: string;
  display: string | null;
}

function memberRows(members: unknown): MemberRow[] {
  if (!Array.isArray(members)) return [];
  const out: MemberRow[] = [];
  for (const m of members as Array<Record<string, unknown> | null>) {
    if (!m || typeof m.value !== 'string' || !UUID.test(m.value)) continue;
    out.push({
      value: m.value,
      type: typeof m.type === 'string' ? m.type : 'User',
      display: typeof m.display === 'string' ? m.display : null,
    });
  }
  return out;
}

/** `members` lives in `group_members`; the row keeps the marker `[]` (ADR 0303). */
function storedJson(attributes: Record<string, unknown>): string {
  if (!Array.isArray(attributes['members'])) return JSON.stringify(attributes);
  return JSON.stringify({ ...attributes, members: [] });
}

function golden(row: GoldenRow): StoredGolden {
  return {
    id: row.id,
    resourceType: row.resource_type,
    attributes: row.members ? { ...row.attributes, members: row.members } : row.attributes,
    version: row.version,
    lifecycleState: row.lifecycle_state,
    suspendedAt: row.suspended_at,
    deleteAfter: row.delete_after,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** A golden record as the locked reads return it, before its contributions are attached. */
type LockedRow = GoldenRow & {
  name_key: string | null;
  entries: StoredProvenance | null;
  rule_revision: number | null;
};

function locked(row: LockedRow, contributions: StoredContribution[]): LockedGolden {
  return {
    ...golden(row),
    nameKey: row.name_key,
    contributions,
    provenance: row.entries,
    ruleRevision: row.rule_revision ?? 0,
  };
}

function contribution(row: ContributionRow): StoredContribution {
  return {
    id: row.id,
    sourceId: row.source_id,
    sourceKey: row.source_key,
    resourceType: row.resource_type,
    externalId: row.external_id,
    resourceId: row.resource_id,
    attributes: row.attributes,
    hash: row.hash,
    assertedAt: row.asserted_at,
    deletedAt: row.deleted_at,
  };
}

function contributionFromJson(row: ContributionJson): StoredContribution {
  return contribution({
    ...row,
    asserted_at: new Date(row.asserted_at),
    deleted_at: row.deleted_at ? new Date(row.deleted_at) : null,
  });
}
