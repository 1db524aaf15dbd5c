import type { CompValue, CompareOp, FilterNode, ResolvedAttribute } from '@hub/scim';
import { memberElementsSql, memberOfSql } from './members-sql';

/**
 * Translates a filter validated by `@hub/scim` (`validateFilter`: every attribute node carries its
 * resolved attribute) into a parameterised SQL predicate over the `resources` table (JSONB
 * `attributes`). Nothing from the client is ever spliced into the SQL text: values and even JSON
 * keys travel as parameters.
 *
 * Semantics are those of libs/scim's in-memory evaluator (ADR 0101): a multi-valued attribute
 * matches when any value does, `ne` is `not eq` (an absent attribute matches `title ne "x"`),
 * `eq null` is "not present", strings compare case-insensitively unless caseExact, dateTime
 * chronologically (no offset = UTC), numbers numerically, a complex attribute compared without
 * a sub-attribute means its `value`. Every leaf is an EXISTS / NOT EXISTS or a NULL-safe column
 * test, so `not (...)` never meets SQL's unknown.
 *
 * Columns instead of JSON where they exist: `id`, `meta.*` and, for Users, `userName` (the
 * lower-cased `name_key`, whose unique index serves `userName eq`); `externalId` is the calling
 * source's contribution (index on source, type, external_id); a derived read-only `groups`
 * attribute is computed from `group_members`, and so is `members` (ADR 0303).
 */

export class SqlParams {
  readonly values: unknown[] = [];
  constructor(initial: unknown[] = []) {
    this.values.push(...initial);
  }
  /** Adds a value and returns its placeholder (`$n`), cast when a type is given. */
  add(value: unknown, cast?: string): string {
    this.values.push(value);
    return cast ? `$${this.values.length}::${cast}` : `$${this.values.length}`;
  }
}

export interface FilterSqlContext {
  /** Alias of the resources row in the outer query. */
  readonly alias: string;
  readonly params: SqlParams;
  /** Placeholder of the tenant id (uuid) already in params. */
  readonly tenantParam: string;
  /** Placeholder of the resource type name already in params. */
  readonly typeParam: string;
  readonly resourceType: string;
  /** The calling source: its contribution holds the externalId the client sees. */
  readonly sourceId: string | null;
  /** `userName` is held lower-cased in `name_key` (Users). */
  readonly nameKeyAttribute?: string;
  /** The type's core `groups` attribute is derived from group memberships (User, Device). */
  readonly derivedGroups: boolean;
  /** Base of `$ref`/`meta.location`, e.g. `https://hub/scim/v2/`. */
  readonly locationBase: string;
  /** Endpoint segment of the type, e.g. `Users` (for meta.location). */
  readonly endpoint: string;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ORDER_SQL: Record<'gt' | 'ge' | 'lt' | 'le', string> = { gt: '>', ge: '>=', lt: '<', le: '<=' };

export function filterToSql(node: FilterNode, ctx: FilterSqlContext): string {
  return new Translator(ctx).node(node, undefined);
}

class Translator {
  private aliases = 0;
  constructor(private readonly ctx: FilterSqlContext) {}

  private alias(): string {
    return `f${++this.aliases}`;
  }

  node(node: FilterNode, element: string | undefined): string {
    switch (node.kind) {
      case 'and':
        return `(${this.node(node.left, element)} AND ${this.node(node.right, element)})`;
      case 'or':
        return `(${this.node(node.left, element)} OR ${this.node(node.right, element)})`;
      case 'not':
        return `(NOT ${this.node(node.filter, element)})`;
      case 'valuePath': {
        const attr = need(node.attr);
        const top = this.topElements(attr);
        const inner = this.node(node.filter, top.col);
        return `EXISTS (SELECT 1 FROM ${top.from} WHERE jsonb_typeof(${top.col}) = 'object' AND ${inner})`;
      }
      case 'present': {
        const attr = need(node.attr);
        return this.anyValue(attr, element, (v) => `scim_elem_present(${v})`);
      }
      case 'compare': {
        const attr = need(node.attr);
        if (node.value === null) {
          const present = this.anyValue(attr, element, (v) => `scim_elem_present(${v})`);
          return node.op === 'eq' ? `(NOT ${present})` : present;
        }
        if (!element) {
          const direct = this.directColumn(attr, node.op, node.value);
          if (direct) return direct;
        }
        const op = node.op === 'ne' ? 'eq' : node.op;
        const test = this.anyValue(attr, element, (v) => this.scalarTest(v, op, node.value!, attr));
        return node.op === 'ne' ? `(NOT ${test})` : test;
      }
    }
  }

  /** EXISTS over the leaf values named by `attr` (flattened over multi-valued attributes). */
  private anyValue(
    attr: ResolvedAttribute,
    element: string | undefined,
    test: (value: string) => string,
  ): string {
    const leaf = this.alias();
    if (attr.withinValuePath) {
      if (!element) throw new Error('value-path attribute outside a value path');
      const key = this.ctx.params.add(attr.subAttribute, 'text');
      return `EXISTS (SELECT 1 FROM scim_elements(${element} -> ${key}) AS ${leaf}(v) WHERE ${test(`${leaf}.v`)})`;
    }
    const top = this.topElements(attr);
    if (attr.subAttribute === undefined) {
      return `EXISTS (SELECT 1 FROM ${top.from} WHERE ${test(top.col)})`;
    }
    const key = this.ctx.params.add(attr.subAttribute, 'text');
    return `EXISTS (SELECT 1 FROM ${top.from}, scim_elements(${top.col} -> ${key}) AS ${leaf}(v) WHERE ${test(`${leaf}.v`)})`;
  }

  /** A FROM item yielding one jsonb column per element of the top-level attribute. */
  private topElements(attr: ResolvedAttribute): { from: string; col: string } {
    const a = this.alias();
    const r = this.ctx.alias;
    const p = this.ctx.params;
    const core = !attr.extension;
    if (core && attr.attribute === 'id') {
      return { from: `(SELECT to_jsonb(${r}.id::text) AS v) AS ${a}`, col: `${a}.v` };
    }
    if (core && attr.attribute === 'externalId') {
      if (!this.ctx.sourceId) return { from: `(SELECT NULL::jsonb AS v WHERE false) AS ${a}`, col: `${a}.v` };
      const source = p.add(this.ctx.sourceId, 'uuid');
      return {
        from: `(SELECT to_jsonb(c.external_id) AS v FROM contributions c WHERE c.source_id = ${source} AND c.resource_type = ${this.ctx.typeParam} AND c.resource_id = ${r}.id AND c.deleted_at IS NULL AND c.external_id IS NOT NULL) AS ${a}`,
        col: `${a}.v`,
      };
    }
    if (core && attr.attribute === 'meta') {
      const location = p.add(`${this.ctx.locationBase}${this.ctx.endpoint}/`, 'text');
      return {
        from: `(SELECT jsonb_build_object('resourceType', ${this.ctx.typeParam}::text, 'created', to_jsonb(${r}.created_at), 'lastModified', to_jsonb(${r}.updated_at), 'version', 'W/"' || ${r}.version || '"', 'location', ${location} || ${r}.id::text) AS v) AS ${a}`,
        col: `${a}.v`,
      };
    }
    if (core && attr.attribute === 'groups' && this.ctx.derivedGroups) {
      const base = p.add(`${this.ctx.locationBase}Groups/`, 'text');
      return {
        from: `(SELECT jsonb_build_object('value', g.id::text, 'display', g.attributes -> 'displayName', 'type', 'direct', '$ref', ${base} || g.id::text) AS v FROM ${memberOfSql(r, this.ctx.tenantParam)}) AS ${a}`,
        col: `${a}.v`,
      };
    }
    if (core && attr.attribute === 'members') {
      return { from: `${memberElementsSql(r, 'v')} AS ${a}`, col: `${a}.v` };
    }
    const path = p.add([...(attr.extension ? [attr.schema] : []), attr.attribute], 'text[]');
    return { from: `scim_elements(${r}.attributes #> ${path}) AS ${a}(v)`, col: `${a}.v` };
  }

  /** Index-friendly column tests for the common lookups (not inside value paths). */
  private directColumn(
    attr: ResolvedAttribute,
    op: CompareOp,
    value: Exclude<CompValue, null>,
  ): string | undefined {
    if (attr.extension) return undefined;
    const r = this.ctx.alias;
    const p = this.ctx.params;
    if (
      attr.attribute === 'id' &&
      attr.subAttribute === undefined &&
      op === 'eq' &&
      typeof value === 'string'
    ) {
      return UUID_RE.test(value) ? `(${r}.id = ${p.add(value, 'uuid')})` : 'false';
    }
    if (
      this.ctx.nameKeyAttribute &&
      attr.attribute === this.ctx.nameKeyAttribute &&
      attr.subAttribute === undefined &&
      op === 'eq' &&
      typeof value === 'string'
    ) {
      // Bare comparison so the unique index (tenant, type, name_key) serves it; userName is
      // required, so name_key is never NULL for the type that has it.
      return `(${r}.name_key = ${p.add(value.toLowerCase(), 'text')})`;
    }
    if (
      attr.attribute === 'members' &&
      attr.subAttribute === 'value' &&
      op === 'eq' &&
      typeof value === 'string'
    ) {
      // The membership index (tenant, member) instead of a probe per group.
      if (!UUID_RE.test(value) || (attr.caseExact && value !== value.toLowerCase())) return 'false';
      return `(${r}.id IN (SELECT gm.group_id FROM group_members gm WHERE gm.tenant_id = ${this.ctx.tenantParam} AND gm.member_id = ${p.add(value, 'uuid')}))`;
    }
    if (
      attr.attribute === 'externalId' &&
      attr.subAttribute === undefined &&
      op === 'eq' &&
      typeof value === 'string'
    ) {
      if (!this.ctx.sourceId) return 'false';
      return `(${r}.id IN (SELECT c.resource_id FROM contributions c WHERE c.source_id = ${p.add(this.ctx.sourceId, 'uuid')} AND c.resource_type = ${this.ctx.typeParam} AND c.external_id = ${p.add(value, 'text')} AND c.deleted_at IS NULL AND c.resource_id IS NOT NULL))`;
    }
    if (
      attr.attribute === 'meta' &&
      (attr.subAttribute === 'created' || attr.subAttribute === 'lastModified') &&
      (op === 'eq' || op in ORDER_SQL) &&
      typeof value === 'string'
    ) {
      const column = attr.subAttribute === 'created' ? `${r}.created_at` : `${r}.updated_at`;
      const sqlOp = op === 'eq' ? '=' : ORDER_SQL[op as keyof typeof ORDER_SQL];
      return `COALESCE(${column} ${sqlOp} scim_ts(${p.add(value, 'text')}), false)`;
    }
    return undefined;
  }

  /** A non-null boolean test of one jsonb value against the literal, by the attribute's type. */
  private scalarTest(
    v: string,
    op: Exclude<CompareOp, 'ne'>,
    value: Exclude<CompValue, null>,
    attr: ResolvedAttribute,
  ): string {
    const p = this.ctx.params;
    switch (attr.type) {
      case 'string':
      case 'reference':
      case 'binary': {
        if (typeof value !== 'string') return 'false';
        const raw = `(CASE WHEN jsonb_typeof(${v}) = 'string' THEN ${v} #>> '{}' END)`;
        const text = attr.caseExact ? raw : `lower(${raw})`;
        const lit = p.add(attr.caseExact ? value : value.toLowerCase(), 'text');
        switch (op) {
          case 'eq':
            return `COALESCE(${text} = ${lit}, false)`;
          case 'co':
            return `COALESCE(strpos(${text}, ${lit}) > 0, false)`;
          case 'sw':
            return `COALESCE(starts_with(${text}, ${lit}), false)`;
          case 'ew':
            return `COALESCE(right(${text}, char_length(${lit})) = ${lit}, false)`;
          default:
            return `COALESCE((${text} COLLATE "C") ${ORDER_SQL[op]} (${lit} COLLATE "C"), false)`;
        }
      }
      case 'boolean':
        if (typeof value !== 'boolean' || op !== 'eq') return 'false';
        return `(${v} = ${p.add(JSON.stringify(value), 'jsonb')})`;
      case 'integer':
      case 'decimal': {
        if (typeof value !== 'number') return 'false';
        const num = `(CASE WHEN jsonb_typeof(${v}) = 'number' THEN (${v} #>> '{}')::numeric END)`;
        const sqlOp = op === 'eq' ? '=' : ORDER_SQL[op as keyof typeof ORDER_SQL];
        if (!sqlOp) return 'false';
        return `COALESCE(${num} ${sqlOp} ${p.add(String(value), 'numeric')}, false)`;
      }
      case 'dateTime': {
        if (typeof value !== 'string') return 'false';
        const sqlOp = op === 'eq' ? '=' : ORDER_SQL[op as keyof typeof ORDER_SQL];
        if (!sqlOp) return 'false';
        return `COALESCE(scim_ts(CASE WHEN jsonb_typeof(${v}) = 'string' THEN ${v} #>> '{}' END) ${sqlOp} scim_ts(${p.add(value, 'text')}), false)`;
      }
      default:
        return 'false';
    }
  }
}

function need(attr: ResolvedAttribute | undefined): ResolvedAttribute {
  if (!attr) throw new Error('filterToSql needs a filter returned by validateFilter');
  return attr;
}
