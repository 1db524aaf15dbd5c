import { InvalidValueError } from '../errors/scim-error';
import type { ResourceTypeSchemas } from '../schema/resource-type-schemas';
import { getOwnCi, isPlainObject, type JsonObject } from '../util/json.util';
import { comparisonKey, compareKeys } from '../values/value.compare';
import { resolveSortTarget } from './sort-target';

export type SortOrder = 'ascending' | 'descending';
type Key = string | number | boolean | undefined;

/**
 * RFC 7644 §3.4.2.3 ordering on `sortBy`: by the attribute's type (strings case-insensitively
 * unless caseExact, dateTime chronologically, numbers numerically, false before true);
 * multi-valued attributes by their primary value, else the first; resources without a value
 * last when ascending and first when descending.
 */
export function createSortComparator(
  sortBy: string,
  sortOrder: string | undefined,
  schemas: ResourceTypeSchemas,
): (a: JsonObject, b: JsonObject) => number {
  const key = sortKeyFn(sortBy, schemas);
  const sign = parseSortOrder(sortOrder) === 'descending' ? -1 : 1;
  return (a, b) => sign * compareSortKeys(key(a), key(b));
}

/** Sorts a copy, extracting each key once (n keys instead of n log n). Stable. */
export function sortResources<T extends JsonObject>(
  resources: readonly T[],
  sortBy: string,
  sortOrder: string | undefined,
  schemas: ResourceTypeSchemas,
): T[] {
  const key = sortKeyFn(sortBy, schemas);
  const sign = parseSortOrder(sortOrder) === 'descending' ? -1 : 1;
  return resources
    .map((r, i) => ({ r, i, k: key(r) }))
    .sort((x, y) => sign * compareSortKeys(x.k, y.k) || x.i - y.i)
    .map((x) => x.r);
}

export function parseSortOrder(sortOrder: string | undefined): SortOrder {
  if (sortOrder === undefined || sortOrder === '') return 'ascending';
  const lower = typeof sortOrder === 'string' ? sortOrder.toLowerCase() : '';
  if (lower === 'ascending' || lower === 'descending') return lower;
  throw new InvalidValueError('sortOrder must be "ascending" or "descending"');
}

/** Missing keys sort after present ones; descending reverses the whole order. */
function compareSortKeys(a: Key, b: Key): number {
  if (a === undefined) return b === undefined ? 0 : 1;
  if (b === undefined) return -1;
  return compareKeys(a, b);
}

function sortKeyFn(sortBy: string, schemas: ResourceTypeSchemas): (r: JsonObject) => Key {
  const target = resolveSortTarget(sortBy, schemas);
  const { attribute, type, caseExact } = target;
  const sub = target.subAttribute?.name;
  const urn = target.extension ? target.schema.id : undefined;
  return (resource) => {
    const container = urn ? getOwnCi(resource, urn) : resource;
    if (!isPlainObject(container)) return undefined;
    let v = getOwnCi(container, attribute.name);
    if (Array.isArray(v)) v = v.find((e) => isPlainObject(e) && e['primary'] === true) ?? v[0];
    if (sub !== undefined) v = isPlainObject(v) ? getOwnCi(v, sub) : undefined;
    if (Array.isArray(v)) v = v[0];
    return comparisonKey(type, caseExact, v);
  };
}
