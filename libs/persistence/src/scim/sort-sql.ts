import { membersSql } from './members-sql';
import {
  InvalidValueError,
  resolveSortTarget,
  type AttributeType,
  type ResourceTypeSchemas,
} from '@hub/scim';
import type { FilterSqlContext } from './filter-sql';

/** What `sortBy` names, resolved against the resource type (RFC 7644 §3.4.2.3). */
export interface SortAttribute {
  readonly schema: string;
  readonly extension: boolean;
  readonly attribute: string;
  readonly subAttribute?: string;
  readonly type: AttributeType;
  readonly caseExact: boolean;
  readonly multiValued: boolean;
}

/** SQL type of a sort key: also how a cursor carries it back. */
export type SortKeyType = 'text' | 'numeric' | 'boolean' | 'timestamptz' | 'uuid' | 'integer';

/** Resolves `sortBy` like libs/scim's comparator: complex attributes sort by `value`. */
export function resolveSortAttribute(sortBy: string, schemas: ResourceTypeSchemas): SortAttribute {
  const target = resolveSortTarget(sortBy, schemas);
  return {
    schema: target.schema.id,
    extension: target.extension,
    attribute: target.attribute.name,
    ...(target.subAttribute ? { subAttribute: target.subAttribute.name } : {}),
    type: target.type,
    caseExact: target.caseExact,
    multiValued: target.attribute.multiValued,
  };
}

/**
 * The sort key of a row as a typed SQL expression. Multi-valued attributes sort by their primary
 * element, else the first (libs/scim's rule); a value of the wrong type counts as missing
 * (NULL: last ascending, first descending, which is PostgreSQL's default placement).
 */
export function sortKeySql(sort: SortAttribute, ctx: FilterSqlContext): { expr: string; type: SortKeyType } {
  const r = ctx.alias;
  const p = ctx.params;
  if (!sort.extension) {
    if (sort.attribute === 'id') return { expr: `${r}.id`, type: 'uuid' };
    if (sort.attribute === ctx.nameKeyAttribute && !sort.subAttribute)
      return { expr: `(${r}.name_key COLLATE "C")`, type: 'text' };
    if (sort.attribute === 'meta') {
      if (sort.subAttribute === 'created') return { expr: `${r}.created_at`, type: 'timestamptz' };
      if (sort.subAttribute === 'lastModified') return { expr: `${r}.updated_at`, type: 'timestamptz' };
      if (sort.subAttribute === 'version') return { expr: `${r}.version`, type: 'integer' };
      return { expr: `(${r}.id::text COLLATE "C")`, type: 'text' }; // location/resourceType: id order
    }
    if (sort.attribute === 'externalId') {
      if (!ctx.sourceId) return { expr: 'NULL::text', type: 'text' };
      return {
        expr: `((SELECT c.external_id FROM contributions c WHERE c.source_id = ${p.add(ctx.sourceId, 'uuid')} AND c.resource_type = ${ctx.typeParam} AND c.resource_id = ${r}.id AND c.deleted_at IS NULL LIMIT 1) COLLATE "C")`,
        type: 'text',
      };
    }
    if (sort.attribute === 'groups' && ctx.derivedGroups)
      throw new InvalidValueError('Cannot sort by groups: it is derived from group memberships');
  }
  const path = p.add([...(sort.extension ? [sort.schema] : []), sort.attribute], 'text[]');
  // `members` is held in group_members (ADR 0303): sort by the composed list.
  const top =
    !sort.extension && sort.attribute === 'members' ? `(${membersSql(r)})` : `(${r}.attributes #> ${path})`;
  const picked = sort.multiValued
    ? `COALESCE((SELECT e FROM jsonb_array_elements(CASE WHEN jsonb_typeof(${top}) = 'array' THEN ${top} ELSE '[]'::jsonb END) e WHERE e -> 'primary' = 'true'::jsonb LIMIT 1), CASE WHEN jsonb_typeof(${top}) = 'array' THEN ${top} -> 0 ELSE ${top} END)`
    : top;
  const sub = sort.subAttribute ? `(${picked} -> ${p.add(sort.subAttribute, 'text')})` : `(${picked})`;
  const leaf = `(CASE WHEN jsonb_typeof(${sub}) = 'array' THEN ${sub} -> 0 ELSE ${sub} END)`;
  const asText = `(CASE WHEN jsonb_typeof(${leaf}) = 'string' THEN ${leaf} #>> '{}' END)`;
  switch (sort.type) {
    case 'string':
    case 'reference':
    case 'binary':
      return { expr: `(${sort.caseExact ? asText : `lower(${asText})`} COLLATE "C")`, type: 'text' };
    case 'boolean':
      return {
        expr: `(CASE WHEN jsonb_typeof(${leaf}) = 'boolean' THEN (${leaf} #>> '{}')::boolean END)`,
        type: 'boolean',
      };
    case 'integer':
    case 'decimal':
      return {
        expr: `(CASE WHEN jsonb_typeof(${leaf}) = 'number' THEN (${leaf} #>> '{}')::numeric END)`,
        type: 'numeric',
      };
    case 'dateTime':
      return { expr: `scim_ts(${asText})`, type: 'timestamptz' };
    default:
      throw new InvalidValueError(`Cannot sort by ${sort.attribute}`);
  }
}
