import { Injectable } from '@nestjs/common';
import { PrismaService } from '../prisma.service';
import { asTenantId, type TenantId } from '../tenant-id';

/** A link as a reconciliation reads it (one page of remote objects at a time). */
export interface ReconcileLink {
  resourceId: string;
  remoteId: string;
  status: string;
  pushedState: Record<string, unknown> | null;
  pushedHash: string | null;
}

/** A golden record as reconciliation compares it. */
export interface ReconcileGolden {
  id: string;
  attributes: Record<string, unknown>;
  version: number;
  lifecycleState: 'active' | 'suspended' | 'deleted';
}

/** A remote object's link as a reconciliation page reads it (`linkedWithGolden`). */
export interface LinkedObject {
  link: ReconcileLink;
  /** Synced, and no newer golden version wanted (`pushed_version = desired_version`). */
  clean: boolean;
  /** Clean under the current representation stamp: `link.pushedState` is what the hub would push now. */
  current: boolean;
  /** Null when the record is gone, and for a current link (not read). */
  golden: ReconcileGolden | null;
  /** `uuid_hash` of the resource id when the walk for missing objects would read the link. */
  walkHash: number | null;
}

/** A contribution as the upstream-source check compares it. */
export interface ReconcileContribution {
  sourceKey: string;
  resourceId: string | null;
  attributes: Record<string, unknown>;
}

/** Where a target's reconciliation settings live: `targets.resource_types.<Type>.reconcile`. */
export interface ScheduledReconciliation {
  tenantId: TenantId;
  targetId: string;
  resourceType: string;
  settings: unknown;
}

const INACTIVE = `('deprovisioned', 'out_of_scope')`;
/** A link whose object a full read must have seen (`startedAt`: the parameter holding when it started). */
const walked = (startedAt: string) =>
  `(remote_id IS NOT NULL AND status NOT IN ${INACTIVE} AND (last_pushed_at IS NULL OR last_pushed_at < ${startedAt}))`;

/**
 * The reads a reconciliation needs per page (links by remote id, golden records, matches by the
 * target's matching attribute), the compare-and-set link updates it makes under the push lock,
 * and the settings stored on targets. One statement per page each, never per object.
 */
@Injectable()
export class ReconcileStoreRepository {
  constructor(private readonly prisma: PrismaService) {}

  async linksByRemoteIds(
    targetId: string,
    remoteIds: readonly string[],
  ): Promise<Map<string, ReconcileLink>> {
    if (!remoteIds.length) return new Map();
    const rows = await this.prisma.rawQuery<LinkRow>(
      `SELECT resource_id, remote_id, status, pushed_state, pushed_hash FROM target_links
       WHERE target_id = $1::uuid AND remote_id = ANY($2::text[])`,
      [targetId, remoteIds],
      'reconcile_links_by_remote',
    );
    return new Map(rows.map((r) => [r.remote_id, toLink(r)]));
  }

  /**
   * Links by remote id with their golden records, in one statement (the per-page read). A link
   * that is `current` — synced, clean (no newer version wanted) and recorded under `stamp`, the
   * type's representation stamp now — comes with its pushed state, which is the representation
   * the hub would push now, and without its golden record, which is not read at all (ADR 0702).
   * Other links come with their golden record, and with their pushed state only when they have no
   * pushed hash (drift recorded by an earlier run, a push not yet made): for the rest it is read
   * (`pushedState`) only when their pushed hash differs from what the hub would push now.
   */
  async linkedWithGolden(
    tenantId: TenantId,
    targetId: string,
    resourceType: string,
    remoteIds: readonly string[],
    /** When the run started: a link the missing-object walk would read comes with its `walkHash`. */
    runStartedAt: Date,
    /** The type's representation stamp (null: every link comes with its golden record). */
    stamp: string | null,
  ): Promise<Map<string, LinkedObject>> {
    if (!remoteIds.length) return new Map();
    // A current link's row carries what its comparison needs and what a remediation of it would
    // send; status, cleanliness and the golden record only come for the others. Rows as arrays,
    // one state letter for three columns: at 100,000 links a run, building and reading the
    // fields was most of what the statement cost the hub.
    const rows = await this.prisma.rawRows<LinkedRow>(
      `SELECT l.remote_id, l.resource_id, l.pushed_hash,
         CASE WHEN c.current THEN 'c' WHEN c.clean THEN 'k' ELSE 'd' END,
         CASE WHEN c.current OR l.pushed_hash IS NULL THEN l.pushed_state END,
         CASE WHEN ${walked('$4')} THEN uuid_hash(l.resource_id) END,
         CASE WHEN NOT c.current THEN l.status END,
         r.attributes, r.version, r.lifecycle_state::text
       FROM target_links l
       CROSS JOIN LATERAL (SELECT k.clean, k.clean AND l.pushed_stamp IS NOT DISTINCT FROM $6::text
           AND $6::text IS NOT NULL AS current
         FROM (SELECT (l.status = 'synced' AND l.pushed_version = l.desired_version) IS TRUE AS clean) k) c
       -- One primary-key probe per link that is not current (LIMIT keeps the planner from
       -- flattening it): as a join it was planned as a hash join over every resource of the
       -- tenant, once per page. The links themselves by "= ANY" (one index scan for the page; a
       -- LATERAL probe per remote id cost Postgres half as much again): planned against statistics
       -- taken before a bulk of new links this scanned every link of the target, which is why
       -- levelling refreshes them (ADR 0702).
       LEFT JOIN LATERAL (SELECT attributes, version, lifecycle_state FROM resources
         WHERE NOT c.current AND tenant_id = $1::uuid AND id = l.resource_id LIMIT 1) r ON true
       WHERE l.target_id = $2::uuid AND l.remote_id = ANY($3::text[]) AND l.resource_type = $5`,
      [tenantId, targetId, remoteIds, runStartedAt, resourceType, stamp],
      'reconcile_linked_with_golden',
    );
    const linked = new Map<string, LinkedObject>();
    for (const [
      remoteId,
      resourceId,
      pushedHash,
      state,
      pushedState,
      walkHash,
      status,
      attributes,
      version,
      lifecycle,
    ] of rows)
      linked.set(remoteId, {
        link: { resourceId, remoteId, status: status ?? 'synced', pushedState, pushedHash },
        walkHash,
        clean: state !== 'd',
        current: state === 'c',
        // The record's id is the link's: only whether it exists comes with it.
        golden:
          version !== null
            ? { id: resourceId, attributes: attributes!, version, lifecycleState: lifecycle! }
            : null,
      });
    return linked;
  }

  /**
   * Records the representation stamp on clean links a run found holding exactly the
   * representation the hub would push now (their pushed hash is its hash): links pushed before
   * the stamp existed, or under a configuration that changed back, become current for the next
   * run. Compare-and-set on the pushed hash and cleanliness the run read; `updated_at` is left
   * alone (nothing about the link changed).
   */
  async stampCurrent(
    targetId: string,
    stamp: string,
    links: readonly { resourceId: string; pushedHash: string }[],
  ): Promise<number> {
    if (!links.length) return 0;
    const rows = await this.prisma.rawQuery(
      `UPDATE target_links l SET pushed_stamp = $2
       FROM unnest($3::uuid[], $4::text[]) AS v(resource_id, pushed_hash)
       WHERE l.target_id = $1::uuid AND l.resource_id = v.resource_id AND l.pushed_hash = v.pushed_hash
         AND l.status = 'synced' AND l.pushed_version = l.desired_version
         AND l.pushed_stamp IS DISTINCT FROM $2
       RETURNING 1`,
      [targetId, stamp, links.map((l) => l.resourceId), links.map((l) => l.pushedHash)],
      'reconcile_stamp_current',
    );
    return rows.length;
  }

  /** Links of these golden records at the target (to see whether a match is linked elsewhere). */
  async linksByResourceIds(
    targetId: string,
    resourceIds: readonly string[],
  ): Promise<Map<string, ReconcileLink & { remoteId: string | null }>> {
    if (!resourceIds.length) return new Map();
    const rows = await this.prisma.rawQuery<LinkRow>(
      `SELECT resource_id, remote_id, status, pushed_state, pushed_hash FROM target_links
       WHERE target_id = $1::uuid AND resource_id = ANY($2::uuid[])`,
      [targetId, resourceIds],
    );
    return new Map(rows.map((r) => [r.resource_id, toLink(r)]));
  }

  async goldenByIds(tenantId: TenantId, ids: readonly string[]): Promise<Map<string, ReconcileGolden>> {
    if (!ids.length) return new Map();
    const rows = await this.prisma.rawQuery<GoldenRow>(
      `SELECT id, attributes, version, lifecycle_state::text AS lifecycle_state FROM resources
       WHERE tenant_id = $1::uuid AND id = ANY($2::uuid[])`,
      [tenantId, ids],
      'reconcile_golden_by_ids',
    );
    return new Map(rows.map((r) => [r.id, toGolden(r)]));
  }

  /**
   * Live golden records whose matching attribute equals one of `values` (case-insensitively),
   * keyed by the lower-cased value. `userName` uses the indexed `name_key`.
   */
  async matchGolden(
    tenantId: TenantId,
    resourceType: string,
    attribute: string,
    values: readonly string[],
  ): Promise<Map<string, string>> {
    if (!values.length) return new Map();
    const lower = [...new Set(values.map((v) => v.toLowerCase()))];
    const byName = resourceType === 'User' && attribute.toLowerCase() === 'username';
    const rows = await this.prisma.rawQuery<{ id: string; k: string }>(
      byName
        ? `SELECT id, name_key AS k FROM resources WHERE tenant_id = $1::uuid AND resource_type = $2
             AND name_key = ANY($3::text[]) AND lifecycle_state <> 'deleted'`
        : `SELECT id, lower(attributes->>$4) AS k FROM resources WHERE tenant_id = $1::uuid AND resource_type = $2
             AND lower(attributes->>$4) = ANY($3::text[]) AND lifecycle_state <> 'deleted'`,
      byName ? [tenantId, resourceType, lower] : [tenantId, resourceType, lower, attribute],
    );
    const out = new Map<string, string>();
    for (const r of rows) if (!out.has(r.k)) out.set(r.k, r.id);
    return out;
  }

  /**
   * Links that say the target holds an object (keyset by resource id): after a full read, those
   * whose object was not seen are missing.
   */
  /**
   * Every active link of a target and type pushed before `pushedBefore`, in batches, from one
   * snapshot. One statement through a cursor, read in the table's order: a keyset walk by
   * resource id fetched each link's row at random (about 25 ms per 5,000 links, half a second of
   * a 100,000-object run).
   */
  activeLinks(
    targetId: string,
    resourceType: string,
    /** Links pushed after the read started may name objects the read could not see yet. */
    pushedBefore: Date,
    batch: number,
  ): AsyncGenerator<Array<{ resource_id: string; remote_id: string }>> {
    return this.prisma.cursorRead(
      `SELECT resource_id, remote_id FROM target_links
       WHERE target_id = $1::uuid AND resource_type = $2 AND ${walked('$3')}`,
      [targetId, resourceType, pushedBefore],
      batch,
    );
  }

  /**
   * The links `activeLinks` would walk, as a count and a sum of `uuid_hash` of their resource
   * ids (`LinkTally` in libs/reconcile computes the same over the links a read saw).
   */
  async activeLinksTally(
    targetId: string,
    resourceType: string,
    pushedBefore: Date,
  ): Promise<{ count: number; sum: number }> {
    const [row] = await this.prisma.rawQuery<{ count: number; sum: string }>(
      `SELECT count(*)::int AS count,
         (COALESCE(sum(uuid_hash(resource_id)::bigint & 4294967295), 0) % 4294967296)::text AS sum
       FROM target_links
       WHERE target_id = $1::uuid AND resource_type = $2 AND ${walked('$3')}`,
      [targetId, resourceType, pushedBefore],
    );
    return { count: row!.count, sum: Number(row!.sum) };
  }

  async pushedState(targetId: string, resourceId: string): Promise<Record<string, unknown> | null> {
    const rows = await this.prisma.rawQuery<{ pushed_state: Record<string, unknown> | null }>(
      `SELECT pushed_state FROM target_links WHERE target_id = $1::uuid AND resource_id = $2::uuid`,
      [targetId, resourceId],
      'reconcile_pushed_state',
    );
    return rows[0]?.pushed_state ?? null;
  }

  async getLink(targetId: string, resourceId: string): Promise<ReconcileLink | null> {
    const rows = await this.prisma.rawQuery<LinkRow>(
      `SELECT resource_id, remote_id, status, pushed_state, pushed_hash FROM target_links
       WHERE target_id = $1::uuid AND resource_id = $2::uuid`,
      [targetId, resourceId],
    );
    return rows[0] ? toLink(rows[0]) : null;
  }

  /**
   * Drift: the link records what the target really holds (the managed part) and is made dirty, so
   * the next push computes its minimal PATCH from the truth. Compare-and-set on the remote id and
   * pushed hash read with the page: a push recorded meanwhile wins (false).
   */
  async recordRemoteState(
    targetId: string,
    resourceId: string,
    expect: { remoteId: string; pushedHash: string | null },
    state: Record<string, unknown>,
    /** `synced` makes a deprovisioned link deprovision again (its object came back to life). */
    status?: 'synced',
  ): Promise<boolean> {
    const rows = await this.prisma.rawQuery(
      `UPDATE target_links SET pushed_state = $5::json, pushed_hash = NULL, pushed_stamp = NULL, pushed_version = NULL,
         status = COALESCE($6, CASE WHEN status = 'failed' THEN 'pending' ELSE status END), attempts = 0,
         updated_at = now()
       WHERE target_id = $1::uuid AND resource_id = $2::uuid AND remote_id = $3
         AND pushed_hash IS NOT DISTINCT FROM $4 RETURNING 1`,
      [targetId, resourceId, expect.remoteId, expect.pushedHash, JSON.stringify(state), status ?? null],
    );
    return rows.length > 0;
  }

  /**
   * `recordRemoteState` for many links of one target in one statement, each under the push's
   * per-object lock (`PushLockRepository`'s keys, taken here for the statement's transaction:
   * an object a push holds is left out) and its own compare-and-set. Resolves to the objects it
   * locked and, among them, those whose link it marked.
   */
  async recordRemoteStatesLocked(
    targetId: string,
    rows: readonly {
      resourceId: string;
      expect: { remoteId: string; pushedHash: string | null };
      state: Record<string, unknown>;
      status?: 'synced';
    }[],
  ): Promise<{ locked: Set<string>; marked: Set<string> }> {
    if (!rows.length) return { locked: new Set(), marked: new Set() };
    const result = await this.prisma.rawQuery<{ resource_id: string; marked: boolean }>(
      `WITH v AS MATERIALIZED (
         SELECT * FROM unnest($2::uuid[], $3::text[], $4::text[], $5::json[], $6::text[])
           AS v(resource_id, remote_id, pushed_hash, state, status)
         WHERE pg_try_advisory_xact_lock(hashtext($7::text), hashtext(resource_id::text))
       ), marked AS (
         UPDATE target_links l SET pushed_state = v.state, pushed_hash = NULL, pushed_stamp = NULL, pushed_version = NULL,
           status = COALESCE(v.status, CASE WHEN l.status = 'failed' THEN 'pending' ELSE l.status END),
           attempts = 0, updated_at = now()
         FROM v
         WHERE l.target_id = $1::uuid AND l.resource_id = v.resource_id AND l.remote_id = v.remote_id
           AND l.pushed_hash IS NOT DISTINCT FROM v.pushed_hash
         RETURNING l.resource_id
       )
       SELECT v.resource_id, m.resource_id IS NOT NULL AS marked
       FROM v LEFT JOIN marked m ON m.resource_id = v.resource_id`,
      [
        targetId,
        rows.map((r) => r.resourceId),
        rows.map((r) => r.expect.remoteId),
        rows.map((r) => r.expect.pushedHash),
        rows.map((r) => JSON.stringify(r.state)),
        rows.map((r) => r.status ?? null),
        targetId,
      ],
    );
    return {
      locked: new Set(result.map((r) => r.resource_id)),
      marked: new Set(result.filter((r) => r.marked).map((r) => r.resource_id)),
    };
  }

  /** Missing: the link forgets the remote object, so the next push matches or creates it again. */
  async forgetRemote(targetId: string, resourceId: string, remoteId: string): Promise<boolean> {
    const rows = await this.prisma.rawQuery(
      `UPDATE target_links SET remote_id = NULL, pushed_state = NULL, pushed_hash = NULL, pushed_stamp = NULL,
         pushed_version = NULL,
         status = 'pending', attempts = 0, last_error = NULL, updated_at = now()
       WHERE target_id = $1::uuid AND resource_id = $2::uuid AND remote_id = $3 RETURNING 1`,
      [targetId, resourceId, remoteId],
    );
    return rows.length > 0;
  }

  /**
   * Adopt: the golden record's link takes the remote object (created when absent), dirty, with
   * the object's managed part as its pushed state. Only when the link has no remote object yet.
   */
  async adopt(
    tenantId: TenantId,
    targetId: string,
    resourceId: string,
    resourceType: string,
    remoteId: string,
    state: Record<string, unknown>,
  ): Promise<boolean> {
    const rows = await this.prisma.rawQuery(
      `INSERT INTO target_links (id, tenant_id, target_id, resource_id, resource_type, remote_id, pushed_state,
         desired_version, status, updated_at)
       SELECT gen_random_uuid(), $1::uuid, $2::uuid, $3::uuid, $4, $5, $6::json, r.version, 'pending', now()
       FROM resources r WHERE r.tenant_id = $1::uuid AND r.id = $3::uuid
       ON CONFLICT (target_id, resource_id) DO UPDATE SET remote_id = EXCLUDED.remote_id,
         pushed_state = EXCLUDED.pushed_state, pushed_hash = NULL, pushed_stamp = NULL, pushed_version = NULL,
         status = 'pending',
         attempts = 0, last_error = NULL, updated_at = now()
       WHERE target_links.remote_id IS NULL
       RETURNING 1`,
      [tenantId, targetId, resourceId, resourceType, remoteId, JSON.stringify(state)],
    );
    return rows.length > 0;
  }

  /** The source row that stands for a target in the authority rules (kind `target`, `config.targetId`). */
  async targetSourceId(tenantId: TenantId, targetId: string): Promise<string | null> {
    const rows = await this.prisma.rawQuery<{ id: string }>(
      `SELECT id FROM sources WHERE tenant_id = $1::uuid AND kind = 'target' AND config->>'targetId' = $2
       ORDER BY created_at LIMIT 1`,
      [tenantId, targetId],
      'reconcile_target_source',
    );
    return rows[0]?.id ?? null;
  }

  /** Stored contributions of a source by key (the upstream-source check). */
  async contributionsByKeys(
    tenantId: TenantId,
    sourceId: string,
    resourceType: string,
    keys: readonly string[],
  ): Promise<Map<string, ReconcileContribution>> {
    if (!keys.length) return new Map();
    const rows = await this.prisma.rawQuery<{
      source_key: string;
      resource_id: string | null;
      attributes: Record<string, unknown>;
    }>(
      `SELECT source_key, resource_id, attributes FROM contributions
       WHERE tenant_id = $1::uuid AND source_id = $2::uuid AND resource_type = $3 AND source_key = ANY($4::text[])
         AND deleted_at IS NULL`,
      [tenantId, sourceId, resourceType, keys],
    );
    return new Map(
      rows.map((r) => [
        r.source_key,
        { sourceKey: r.source_key, resourceId: r.resource_id, attributes: r.attributes },
      ]),
    );
  }

  /** Live contribution keys of a source, keyset-paged (after a full read: those gone at the source). */
  async contributionKeysPage(
    tenantId: TenantId,
    sourceId: string,
    resourceType: string,
    after: string | null,
    limit: number,
  ): Promise<Array<{ sourceKey: string; resourceId: string | null }>> {
    const rows = await this.prisma.rawQuery<{ source_key: string; resource_id: string | null }>(
      `SELECT source_key, resource_id FROM contributions
       WHERE tenant_id = $1::uuid AND source_id = $2::uuid AND resource_type = $3 AND deleted_at IS NULL
         AND ($4::text IS NULL OR source_key > $4) ORDER BY source_key LIMIT $5`,
      [tenantId, sourceId, resourceType, after, limit],
    );
    return rows.map((r) => ({ sourceKey: r.source_key, resourceId: r.resource_id }));
  }

  /** Writes a type's reconciliation settings into the target's resource type configuration. */
  async saveSettings(
    tenantId: TenantId,
    targetId: string,
    resourceType: string,
    settings: Record<string, unknown> | null,
  ): Promise<boolean> {
    const rows = await this.prisma.rawQuery(
      settings === null
        ? `UPDATE targets SET resource_types = resource_types #- ARRAY[$3, 'reconcile'], updated_at = now()
           WHERE tenant_id = $1::uuid AND id = $2::uuid AND resource_types ? $3 RETURNING 1`
        : `UPDATE targets SET resource_types = jsonb_set(resource_types, ARRAY[$3, 'reconcile'], $4::jsonb),
             updated_at = now()
           WHERE tenant_id = $1::uuid AND id = $2::uuid AND resource_types ? $3 RETURNING 1`,
      settings === null
        ? [tenantId, targetId, resourceType]
        : [tenantId, targetId, resourceType, JSON.stringify(settings)],
    );
    return rows.length > 0;
  }

  /** Every target resource type with reconciliation settings (to re-create the schedulers). */
  async scheduled(): Promise<ScheduledReconciliation[]> {
    const rows = await this.prisma.rawQuery<{
      tenant_id: string;
      id: string;
      resource_type: string;
      settings: unknown;
    }>(
      `SELECT t.tenant_id, t.id, e.key AS resource_type, e.value->'reconcile' AS settings
       FROM targets t, jsonb_each(t.resource_types) e
       WHERE t.enabled AND jsonb_typeof(e.value) = 'object' AND e.value ? 'reconcile'`,
      [],
    );
    return rows.map((r) => ({
      tenantId: asTenantId(r.tenant_id),
      targetId: r.id,
      resourceType: r.resource_type,
      settings: r.settings,
    }));
  }
}

/** A row of `linkedWithGolden`, its columns in order. */
type LinkedRow = [
  remoteId: string,
  resourceId: string,
  pushedHash: string | null,
  state: 'c' | 'k' | 'd',
  pushedState: Record<string, unknown> | null,
  walkHash: number | null,
  status: string | null,
  attributes: Record<string, unknown> | null,
  version: number | null,
  lifecycleState: ReconcileGolden['lifecycleState'] | null,
];

interface LinkRow {
  resource_id: string;
  remote_id: string;
  status: string;
  pushed_state: Record<string, unknown> | null;
  pushed_hash: string | null;
}

interface GoldenRow {
  id: string;
  attributes: Record<string, unknown>;
  version: number;
  lifecycle_state: ReconcileGolden['lifecycleState'];
}

const toLink = (r: LinkRow): ReconcileLink => ({
  resourceId: r.resource_id,
  remoteId: r.remote_id,
  status: r.status,
  pushedState: r.pushed_state,
  pushedHash: r.pushed_hash,
});

const toGolden = (r: GoldenRow): ReconcileGolden => ({
  id: r.id,
  attributes: r.attributes,
  version: r.version,
  lifecycleState: r.lifecycle_state,
});
