import { InternalServerError } from '../errors/scim-error';
import type { ResourceTypeSchemas } from '../schema/resource-type-schemas';
import type { AttributeType } from '../schema/schema.types';
import { comparisonKey, compareKeys } from '../values/value.compare';
import { getOwnCi, isPlainObject, type JsonObject } from '../util/json.util';
import type { CompValue, CompareOp, FilterNode, ResolvedAttribute } from './filter.types';
import { isValidatedFilter, validateFilter } from './filter.validator';

export type FilterPredicate = (resource: JsonObject) => boolean;

/**
 * Compiles a validated filter into a predicate, so per-resource work is only value lookups and
 * comparisons (comparison keys of the literal are computed once).
 *
 * Semantics: a multi-valued attribute matches when any value does; `ne` is `not eq` (so a
 * resource without the attribute matches `title ne "x"`); `eq null` means "not present".
 */
export function compileFilter(node: FilterNode): FilterPredicate {
  return compile(node) as FilterPredicate;
}

const compiledCache = new WeakMap<ResourceTypeSchemas, WeakMap<FilterNode, FilterPredicate>>();

/** In-memory evaluation (scoping, tests). Validates first when given a bare parse tree. */
export function evaluateFilter(
  node: FilterNode,
  resource: JsonObject,
  schemas: ResourceTypeSchemas,
): boolean {
  let perType = compiledCache.get(schemas);
  if (!perType) compiledCache.set(schemas, (perType = new WeakMap()));
  let predicate = perType.get(node);
  if (!predicate) {
    predicate = compileFilter(isValidatedFilter(node) ? node : validateFilter(node, schemas));
    perType.set(node, predicate);
  }
  return predicate(resource);
}

type Pred = (target: JsonObject) => boolean;

function compile(node: FilterNode): Pred {
  switch (node.kind) {
    case 'and': {
      const l = compile(node.left);
      const r = compile(node.right);
      return (t) => l(t) && r(t);
    }
    case 'or': {
      const l = compile(node.left);
      const r = compile(node.right);
      return (t) => l(t) || r(t);
    }
    case 'not': {
      const f = compile(node.filter);
      return (t) => !f(t);
    }
    case 'valuePath': {
      const attr = need(node.attr);
      const inner = compile(node.filter);
      return (t) => elementsOf(t, attr).some((e) => isPlainObject(e) && inner(e));
    }
    case 'present': {
      const attr = need(node.attr);
      return (t) => valuesOf(t, attr).some(isNonEmpty);
    }
    case 'compare': {
      const attr = need(node.attr);
      if (node.value === null) {
        return node.op === 'eq'
          ? (t) => !valuesOf(t, attr).some(isNonEmpty)
          : (t) => valuesOf(t, attr).some(isNonEmpty);
      }
      const test = scalarTest(node.op, node.value, attr.type, attr.caseExact);
      if (node.op === 'ne') return (t) => !valuesOf(t, attr).some(test);
      return (t) => valuesOf(t, attr).some(test);
    }
  }
}

function need(attr: ResolvedAttribute | undefined): ResolvedAttribute {
  // validateFilter always sets it; a hand-built tree without it is a programming error.
  if (!attr) throw new InternalServerError('compileFilter needs a tree returned by validateFilter');
  return attr;
}

/** The elements of the top-level attribute (value path) of a resource. */
function elementsOf(resource: JsonObject, attr: ResolvedAttribute): unknown[] {
  const container = attr.extension ? getOwnCi(resource, attr.schema) : resource;
  if (!isPlainObject(container)) return [];
  const v = getOwnCi(container, attr.attribute);
  return Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
}

/** Leaf values named by `attr`, flattened over multi-valued attributes. */
function valuesOf(target: JsonObject, attr: ResolvedAttribute): unknown[] {
  if (attr.withinValuePath) {
    const v = getOwnCi(target, attr.subAttribute!);
    return Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
  }
  const top = elementsOf(target, attr);
  if (attr.subAttribute === undefined) return top;
  const out: unknown[] = [];
  for (const e of top) {
    if (!isPlainObject(e)) continue;
    const v = getOwnCi(e, attr.subAttribute);
    if (Array.isArray(v)) out.push(...v);
    else if (v !== undefined && v !== null) out.push(v);
  }
  return out;
}

/** RFC 7644 §3.4.2.2 `pr`: non-empty value, or a complex value with a non-empty node. */
function isNonEmpty(v: unknown): boolean {
  if (v === null || v === undefined || v === '') return false;
  if (Array.isArray(v)) return v.some(isNonEmpty);
  if (isPlainObject(v)) return Object.keys(v).some((k) => isScalarNonEmpty(v[k]));
  return true;
}

function isScalarNonEmpty(v: unknown): boolean {
  if (Array.isArray(v)) return v.some((x) => x !== null && x !== '' && typeof x !== 'object');
  return v !== null && v !== undefined && v !== '' && typeof v !== 'object';
}

function scalarTest(
  op: CompareOp,
  literal: Exclude<CompValue, null>,
  type: AttributeType,
  caseExact: boolean,
): (v: unknown) => boolean {
  const want = comparisonKey(type, caseExact, literal);
  if (want === undefined) return () => false;
  const key = (v: unknown) => comparisonKey(type, caseExact, v);
  switch (op) {
    case 'eq':
    case 'ne':
      return (v) => key(v) === want;
    case 'co':
      return (v) => {
        const k = key(v);
        return typeof k === 'string' && k.includes(want as string);
      };
    case 'sw':
      return (v) => {
        const k = key(v);
        return typeof k === 'string' && k.startsWith(want as string);
      };
    case 'ew':
      return (v) => {
        const k = key(v);
        return typeof k === 'string' && k.endsWith(want as string);
      };
    case 'gt':
      return ordered(key, want, (c) => c > 0);
    case 'ge':
      return ordered(key, want, (c) => c >= 0);
    case 'lt':
      return ordered(key, want, (c) => c < 0);
    case 'le':
      return ordered(key, want, (c) => c <= 0);
  }
}

function ordered(
  key: (v: unknown) => string | number | boolean | undefined,
  want: string | number | boolean,
  accept: (c: number) => boolean,
): (v: unknown) => boolean {
  return (v) => {
    const k = key(v);
    return k !== undefined && typeof k === typeof want && accept(compareKeys(k, want));
  };
}
