import { Injectable } from '@nestjs/common';
import { PrismaService } from '../prisma.service';
import type { TenantId } from '../tenant-id';
import type { GoldenRecord } from './inbound-write.types';
import type { SortKeyType } from './sort-sql';
import { SqlParams } from './filter-sql';

/** A row of a list page, with the sort key (as text) that a cursor resumes from. */
export interface ListedRecord extends GoldenRecord {
  sortKey: string | null;
}

/**
 * One list query, already translated to SQL by the caller (filterToSql, sortKeySql) with its
 * parameters. `$1` is the tenant id and `$2` the resource type; the translator adds the rest.
 */
export interface ListQuery {
  params: SqlParams;
  /** Predicate over alias `r` (or 'true'). */
  where: string;
  /** Sort key expression over `r`, or undefined for id order. */
  sort?: { expr: string; type: SortKeyType; descending: boolean };
  /** The calling source, whose externalId is returned. */
  sourceId: string | null;
  limit: number;
  /** Index pagination: rows to skip. */
  offset?: number;
  /** Cursor pagination: resume strictly after (or before) this position in the order. */
  keyset?: { key: string | null; id: string; before: boolean };
}

export interface MemberInfo {
  id: string;
  resourceType: string;
  display: string | null;
}

interface Row {
  id: string;
  resource_type: string;
  attributes: Record<string, unknown>;
  version: number;
  created_at: Date;
  updated_at: Date;
  external_id: string | null;
  sort_key?: string | null;
}

export const TENANT_PARAM = '$1::uuid';
export const TYPE_PARAM = '$2::text';

/** Reads of golden records for the SCIM server; every query is scoped to a tenant and a type. */
@Injectable()
export class ScimResourceRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Parameters for a list query: the tenant and type come first so the translator can refer to them. */
  static listParams(tenantId: TenantId, resourceType: string): SqlParams {
    return new SqlParams([tenantId, resourceType]);
  }

  async get(
    tenantId: TenantId,
    resourceType: string,
    id: string,
    sourceId: string | null,
  ): Promise<GoldenRecord | null> {
    if (!isUuid(id)) return null;
    const rows = await this.prisma.$queryRawUnsafe<Row[]>(
      `SELECT r.id, r.resource_type, r.attributes, r.version, r.created_at, r.updated_at, ${externalIdSql('$4::uuid')} AS external_id
       FROM resources r WHERE r.tenant_id = $1::uuid AND r.resource_type = $2::text AND r.id = $3::uuid`,
      tenantId,
      resourceType,
      id,
      sourceId,
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** The type of a resource of the tenant, whatever it is (member resolution, bulk paths). */
  async findMembers(tenantId: TenantId, ids: string[]): Promise<MemberInfo[]> {
    const valid = ids.filter(isUuid);
    if (valid.length === 0) return [];
    const rows = await this.prisma.$queryRawUnsafe<
      Array<{ id: string; resource_type: string; display: string | null }>
    >(
      `SELECT r.id, r.resource_type,
              COALESCE(r.attributes ->> 'displayName', r.attributes ->> 'userName') AS display
       FROM resources r WHERE r.tenant_id = $1::uuid AND r.id = ANY($2::uuid[])`,
      tenantId,
      valid,
    );
    return rows.map((r) => ({ id: r.id, resourceType: r.resource_type, display: r.display }));
  }

  /** Groups that list each resource as a member (User.groups, RFC 7643 §4.1.2): one indexed lookup per resource. */
  async groupsOf(
    tenantId: TenantId,
    memberIds: string[],
  ): Promise<Map<string, Array<{ id: string; display: string | null }>>> {
    const out = new Map<string, Array<{ id: string; display: string | null }>>();
    if (memberIds.length === 0) return out;
    const rows = await this.prisma.$queryRawUnsafe<
      Array<{ member: string; id: string; display: string | null }>
    >(
      `SELECT m.id::text AS member, g.id, g.attributes ->> 'displayName' AS display
       FROM unnest($2::uuid[]) AS m(id)
       JOIN LATERAL (
         SELECT g.id, g.attributes FROM resources g
         WHERE g.tenant_id = $1::uuid AND g.resource_type = 'Group'
           AND g.attributes @> jsonb_build_object('members', jsonb_build_array(jsonb_build_object('value', m.id::text)))
       ) g ON true
       ORDER BY g.id`,
      tenantId,
      memberIds,
    );
    for (const r of rows) {
      const list = out.get(r.member) ?? [];
      list.push({ id: r.id, display: r.display });
      out.set(r.member, list);
    }
    return out;
  }

  /** `anyType`: `$2` is a list of types and `where` says which applies to which (root /.search). */
  async count(query: Pick<ListQuery, 'params' | 'where'>, anyType = false): Promise<number> {
    const rows = await this.prisma.$queryRawUnsafe<Array<{ n: bigint | number }>>(
      `SELECT count(*) AS n FROM resources r WHERE r.tenant_id = ${TENANT_PARAM} AND ${typeClause(anyType)} AND (${query.where})`,
      ...query.params.values,
    );
    return Number(rows[0]?.n ?? 0);
  }

  /**
   * One page in the database: filter, order (sort key, then id as the tie-break so the order is
   * total and stable across pages), then OFFSET (index pagination) or a keyset (cursors).
   */
  async list(query: ListQuery, anyType = false): Promise<ListedRecord[]> {
    const p = new SqlParams(query.params.values);
    const source = p.add(query.sourceId, 'uuid');
    const desc = query.sort?.descending ?? false;
    // A "before" keyset walks the reversed order and the page is flipped back afterwards.
    const reverse = query.keyset?.before ?? false;
    const walkDesc = desc !== reverse;
    const dir = walkDesc ? 'DESC' : 'ASC';
    const nulls = walkDesc ? 'NULLS FIRST' : 'NULLS LAST';
    const skExpr = query.sort ? query.sort.expr : 'NULL::text';
    let keyset = 'true';
    if (query.keyset) {
      const id = p.add(query.keyset.id, 'uuid');
      const cmp = walkDesc ? '<' : '>';
      if (!query.sort) keyset = `q.id ${cmp} ${id}`;
      else if (query.keyset.key === null) {
        keyset = walkDesc
          ? `((q.sk IS NULL AND q.id < ${id}) OR q.sk IS NOT NULL)`
          : `(q.sk IS NULL AND q.id > ${id})`;
      } else {
        const k = p.add(query.keyset.key, query.sort.type);
        keyset = walkDesc
          ? `(q.sk < ${k} OR (q.sk = ${k} AND q.id < ${id}))`
          : `(q.sk > ${k} OR (q.sk = ${k} AND q.id > ${id}) OR q.sk IS NULL)`;
      }
    }
    const order = query.sort ? `q.sk ${dir} ${nulls}, q.id ${dir}` : `q.id ${dir}`;
    const limit = p.add(query.limit, 'int');
    const offset = p.add(query.offset ?? 0, 'int');
    const sql = `SELECT q.id, q.resource_type, q.attributes, q.version, q.created_at, q.updated_at,
        ${externalIdSql(source, 'q')} AS external_id, q.sk::text AS sort_key FROM (
        SELECT r.id, r.resource_type, r.attributes, r.version, r.created_at, r.updated_at, ${skExpr} AS sk
        FROM resources r
        WHERE r.tenant_id = ${TENANT_PARAM} AND ${typeClause(anyType)} AND (${query.where})
      ) q
      WHERE ${keyset}
      ORDER BY ${order}
      LIMIT ${limit} OFFSET ${offset}`;
    const rows = await this.prisma.$queryRawUnsafe<Row[]>(sql, ...p.values);
    const records = rows.map((row) => ({ ...toRecord(row), sortKey: row.sort_key ?? null }));
    return reverse ? records.reverse() : records;
  }

  /** The plan PostgreSQL picks for a list query (tests and diagnostics). */
  async explain(query: Pick<ListQuery, 'params' | 'where'>): Promise<string> {
    const rows = await this.prisma.$queryRawUnsafe<Array<{ 'QUERY PLAN': string }>>(
      `EXPLAIN SELECT r.id FROM resources r WHERE r.tenant_id = ${TENANT_PARAM} AND r.resource_type = ${TYPE_PARAM} AND (${query.where})`,
      ...query.params.values,
    );
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  }
}

function typeClause(anyType: boolean): string {
  return anyType ? 'r.resource_type = ANY($2::text[])' : `r.resource_type = ${TYPE_PARAM}`;
}

/** The calling source's externalId for row alias `alias` (RFC 7643 §3.1: per provisioning client). */
function externalIdSql(sourceParam: string, alias = 'r'): string {
  return `(SELECT c.external_id FROM contributions c WHERE c.source_id = ${sourceParam} AND c.resource_type = ${alias}.resource_type AND c.resource_id = ${alias}.id AND c.deleted_at IS NULL LIMIT 1)`;
}

function toRecord(row: Row): GoldenRecord {
  return {
    id: row.id,
    resourceType: row.resource_type,
    attributes: row.attributes,
    externalId: row.external_id,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_RE.test(value);
}
