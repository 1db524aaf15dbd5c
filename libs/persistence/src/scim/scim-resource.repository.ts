import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { PrismaService, type RawQuery } from '../prisma.service';
import type { TenantId } from '../tenant-id';
import type { GoldenRecord } from './inbound-write.types';
import type { SortKeyType } from './sort-sql';
import { SqlParams } from './filter-sql';
import { memberOfSql, membersSql } from './members-sql';

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

/** A golden record as read, with the groups that list it when they were asked for (User.groups). */
export interface ReadRecord extends GoldenRecord {
  /** Groups whose members contain this resource, by group id; undefined when not asked for. */
  groups?: Array<{ id: string; display: string | null }>;
}

/** A row of a list page, with the sort key (as text) that a cursor resumes from. */
export interface ListedRecord extends ReadRecord {
  sortKey: string | null;
}

/** One list page and the number of resources the filter matches (RFC 7644 totalResults). */
export interface ListPage {
  totalResults: number;
  rows: ListedRecord[];
}

interface Row {
  id: string;
  resource_type: string;
  attributes: Record<string, unknown>;
  version: number;
  created_at: Date;
  updated_at: Date;
  external_id: string | null;
  members: unknown[] | null;
  groups?: Array<{ id: string; display: string | null }> | null;
  sort_key?: string | null;
}

export const TENANT_PARAM = '$1::uuid';
export const TYPE_PARAM = '$2::text';

/** A statement and its parameters; `name` makes it a prepared statement on each connection. */
export interface SqlStatement {
  text: string;
  values: unknown[];
  name?: string;
}

/**
 * Predicates of the hot list shapes (no filter; `userName eq`, `id eq` on their indexes): their
 * statements are prepared once per connection instead of parsed and planned on every request.
 * Only these: prepared statements live as long as the connection, so arbitrary filters are not.
 */
const PREPARED_WHERE = /^(true|\(r\.name_key = \$3::text\)|\(r\.id = \$3::uuid\))$/;

function statementName(prefix: string, text: string): string {
  return `${prefix}_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
}

/**
 * The SQL of the SCIM read path, as pure functions: the repository runs it, and the inbound
 * benchmark's bare baseline runs exactly the same statements (ADR 0303). Each read is one
 * statement: the resource(s), the caller's externalId, `members` composed from `group_members`
 * (for resources that hold members), derived `groups` when asked for, and for lists the count.
 */
export const scimReadSql = {
  get(
    tenantId: string,
    resourceType: string,
    id: string,
    sourceId: string | null,
    withGroups: boolean,
  ): SqlStatement {
    return {
      text: `SELECT r.id, r.resource_type, r.attributes, r.version, r.created_at, r.updated_at,
        ${externalIdSql('$4::uuid')} AS external_id, ${membersSql('r')} AS members${withGroups ? `, ${groupsSql('r')} AS groups` : ''}
       FROM resources r WHERE r.tenant_id = $1::uuid AND r.resource_type = $2::text AND r.id = $3::uuid`,
      values: [tenantId, resourceType, id, sourceId],
      name: withGroups ? 'scim_get_groups' : 'scim_get',
    };
  },

  /**
   * One page in the database and the count of everything the filter matches, in one statement:
   * filter, order (sort key, then id as the tie-break so the order is total and stable across
   * pages), then OFFSET (index pagination) or a keyset (cursors). The count is its own aggregate
   * (an index-only scan where it can), not a window over the rows: a window would materialise every
   * matching row with its attributes.
   */
  page(query: ListQuery, anyType: boolean, withGroups: boolean): SqlStatement {
    const p = new SqlParams(query.params.values);
    const source = p.add(query.sourceId, 'uuid');
    const desc = query.sort?.descending ?? false;
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
    const order = (a: string) => (query.sort ? `${a}.sk ${dir} ${nulls}, ${a}.id ${dir}` : `${a}.id ${dir}`);
    const limit = p.add(query.limit, 'int');
    const offset = p.add(query.offset ?? 0, 'int');
    const scope = `r.tenant_id = ${TENANT_PARAM} AND ${typeClause(anyType)} AND (${query.where})`;
    // LEFT JOIN: the count comes back even when the page is empty (one row of NULLs).
    const text = `SELECT t.total, p.* FROM (SELECT count(*) AS total FROM resources r WHERE ${scope}) t
      LEFT JOIN LATERAL (
        SELECT q.id, q.resource_type, q.attributes, q.version, q.created_at, q.updated_at,
          ${externalIdSql(source, 'q')} AS external_id, ${membersSql('q')} AS members${withGroups ? `, ${groupsSql('q')} AS groups` : ''},
          q.sk, q.sk::text AS sort_key
        FROM (
          SELECT r.id, r.resource_type, r.attributes, r.version, r.created_at, r.updated_at, ${skExpr} AS sk
          FROM resources r WHERE ${scope}
        ) q
        WHERE ${keyset}
        ORDER BY ${order('q')}
        LIMIT ${limit} OFFSET ${offset}
      ) p ON true
      ORDER BY ${order('p')}`;
    const prepared = !query.sort && !query.keyset && PREPARED_WHERE.test(query.where);
    return { text, values: p.values, ...(prepared ? { name: statementName('scim_page', text) } : {}) };
  },
};

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
    withGroups = false,
  ): Promise<ReadRecord | null> {
    if (!isUuid(id)) return null;
    const q = scimReadSql.get(tenantId, resourceType, id, sourceId, withGroups);
    const rows = await this.prisma.rawQuery<Row>(q.text, q.values, q.name);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** The type of a resource of the tenant, whatever it is (member resolution, bulk paths). */
  async findMembers(tenantId: TenantId, ids: string[]): Promise<MemberInfo[]> {
    return findMembersWith((text, values) => this.prisma.rawQuery(text, values), tenantId, ids);
  }

  /**
   * A list page and totalResults in one statement. `anyType`: `$2` is a list of types and `where`
   * says which applies to which (root /.search). `withGroups`: derive each row's groups. `on`: run
   * on that connection (inside `PrismaService.snapshotRead`) instead of the pool.
   */
  async page(query: ListQuery, anyType = false, withGroups = false, on?: RawQuery): Promise<ListPage> {
    const q = scimReadSql.page(query, anyType, withGroups);
    const rows = on
      ? await on<Row & { total: string }>(q.text, q.values)
      : await this.prisma.rawQuery<Row & { total: string }>(q.text, q.values, q.name);
    const totalResults = Number(rows[0]?.total ?? 0);
    const records: ListedRecord[] = [];
    for (const row of rows)
      if (row.id !== null) records.push({ ...toRecord(row), sortKey: row.sort_key ?? null });
    return { totalResults, rows: query.keyset?.before ? records.reverse() : records };
  }

  /** The plan PostgreSQL picks for a list query (tests and diagnostics). */
  async explain(query: Pick<ListQuery, 'params' | 'where'>): Promise<string> {
    const rows = await this.prisma.rawQuery<{ 'QUERY PLAN': string }>(
      `EXPLAIN SELECT r.id FROM resources r WHERE r.tenant_id = ${TENANT_PARAM} AND r.resource_type = ${TYPE_PARAM} AND (${query.where})`,
      query.params.values,
    );
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  }
}

/** Member resolution through any connection (the pool, or a write's transaction). */
export async function findMembersWith(
  run: <T>(text: string, values: readonly unknown[]) => Promise<T[]>,
  tenantId: string,
  ids: string[],
): Promise<MemberInfo[]> {
  const valid = ids.filter(isUuid);
  if (valid.length === 0) return [];
  const rows = await run<{ id: string; resource_type: string; display: string | null }>(
    `SELECT r.id, r.resource_type,
            COALESCE(r.attributes ->> 'displayName', r.attributes ->> 'userName') AS display
     FROM resources r WHERE r.tenant_id = $1::uuid AND r.id = ANY($2::uuid[])`,
    [tenantId, valid],
  );
  return rows.map((r) => ({ id: r.id, resourceType: r.resource_type, display: r.display }));
}

function typeClause(anyType: boolean): string {
  return anyType ? 'r.resource_type = ANY($2::text[])' : `r.resource_type = ${TYPE_PARAM}`;
}

/** The calling source's externalId for row alias `alias` (RFC 7643 §3.1: per provisioning client). */
function externalIdSql(sourceParam: string, alias = 'r'): string {
  return `(SELECT c.external_id FROM contributions c WHERE c.source_id = ${sourceParam} AND c.resource_type = ${alias}.resource_type AND c.resource_id = ${alias}.id AND c.deleted_at IS NULL LIMIT 1)`;
}

/** The groups whose members contain the resource (User.groups, RFC 7643 §4.1.2), by group id. */
function groupsSql(alias: string): string {
  return `(SELECT jsonb_agg(jsonb_build_object('id', g.id, 'display', g.attributes ->> 'displayName') ORDER BY g.id)
    FROM ${memberOfSql(alias, TENANT_PARAM)})`;
}

function toRecord(row: Row): ReadRecord {
  const record: ReadRecord = {
    id: row.id,
    resourceType: row.resource_type,
    attributes: row.members ? { ...row.attributes, members: row.members } : row.attributes,
    externalId: row.external_id,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
  if (row.groups !== undefined) record.groups = row.groups ?? [];
  return record;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_RE.test(value);
}
