import { parseAttrPath } from '../filter/filter.parser';
import type { ResourceTypeSchemas, SchemaView } from '../schema/resource-type-schemas';
import { findSubAttribute } from '../schema/resource-type-schemas';
import type { AttributeDefinition, SimpleAttribute } from '../schema/schema.types';
import { isPlainObject, setOwn, type JsonObject } from '../util/json.util';
import { ScimError } from '../errors/scim-error';

export interface ProjectionOptions {
  /** `attributes` query parameter: comma-separated string or list (RFC 7644 §3.4.2.5). */
  readonly attributes?: string | readonly string[];
  readonly excludedAttributes?: string | readonly string[];
}

/** Per attribute: everything, or only some sub-attributes (lower-cased names). */
type Pick = 'all' | Set<string>;
type Selection = Map<AttributeDefinition, Pick>;

/**
 * Shapes a resource for a response (RFC 7643 §2.2 `returned`, RFC 7644 §3.9):
 * never → dropped (password); always → kept (id, schemas, meta); default → kept unless excluded
 * or `attributes` names others; request → only when named in `attributes`.
 * When both lists are given, `attributes` wins. Names that do not resolve are ignored.
 */
export function projectResource(
  resource: JsonObject,
  schemas: ResourceTypeSchemas,
  options: ProjectionOptions = {},
): JsonObject {
  const requested = options.attributes !== undefined ? select(options.attributes, schemas) : undefined;
  const excluded =
    !requested && options.excludedAttributes !== undefined
      ? select(options.excludedAttributes, schemas)
      : undefined;
  const out: JsonObject = {};
  for (const key of Object.keys(resource)) {
    const view = key.includes(':') ? schemas.findSchema(key) : undefined;
    if (view?.extension) {
      const ext = resource[key];
      if (!isPlainObject(ext)) continue;
      const projected = projectContainer(ext, view, schemas, requested, excluded);
      if (Object.keys(projected).length > 0) setOwn(out, view.definition.id, projected);
      continue;
    }
    const attr = schemas.findAttribute(schemas.core, key);
    if (!attr) continue;
    const value = projectAttribute(attr, resource[key], requested, excluded);
    if (value !== undefined) setOwn(out, attr.name, value);
  }
  return out;
}

function projectContainer(
  obj: JsonObject,
  view: SchemaView,
  schemas: ResourceTypeSchemas,
  requested: Selection | undefined,
  excluded: Selection | undefined,
): JsonObject {
  const out: JsonObject = {};
  for (const key of Object.keys(obj)) {
    const attr = schemas.findAttribute(view, key);
    if (!attr) continue;
    const value = projectAttribute(attr, obj[key], requested, excluded);
    if (value !== undefined) setOwn(out, attr.name, value);
  }
  return out;
}

function projectAttribute(
  attr: AttributeDefinition,
  value: unknown,
  requested: Selection | undefined,
  excluded: Selection | undefined,
): unknown {
  if (value === undefined || value === null) return undefined;
  if (attr.returned === 'never') return undefined;
  let pick: Pick | undefined;
  if (attr.returned === 'always') pick = 'all';
  else if (requested) pick = requested.get(attr);
  else if (attr.returned === 'request') pick = undefined;
  else {
    const ex = excluded?.get(attr);
    pick = ex === 'all' ? undefined : ex ? invert(ex) : 'all';
  }
  if (pick === undefined) return undefined;
  if (attr.type !== 'complex') return value;
  const subs = (element: unknown) =>
    projectComplex(attr.subAttributes, element, pick!, requested !== undefined);
  if (Array.isArray(value)) {
    const list = value.map(subs).filter((e) => e !== undefined);
    return list.length ? list : undefined;
  }
  return subs(value);
}

/** `excludedAttributes=name.givenName` keeps every other sub-attribute of name. */
function invert(excludedSubs: Set<string>): Set<string> {
  const inverted = new Set<string>(['*']);
  for (const s of excludedSubs) inverted.add(`-${s}`);
  return inverted;
}

function projectComplex(
  subAttributes: readonly SimpleAttribute[],
  element: unknown,
  pick: Pick,
  explicit: boolean,
): unknown {
  if (!isPlainObject(element)) return undefined;
  const out: JsonObject = {};
  for (const key of Object.keys(element)) {
    const sub = subAttributes.find((s) => s.name.toLowerCase() === key.toLowerCase());
    if (!sub || sub.returned === 'never') continue;
    const lower = sub.name.toLowerCase();
    let keep: boolean;
    if (sub.returned === 'always') keep = true;
    else if (pick === 'all') keep = sub.returned !== 'request' || explicit;
    else if (pick.has('*')) keep = !pick.has(`-${lower}`) && sub.returned !== 'request';
    else keep = pick.has(lower);
    if (keep) setOwn(out, sub.name, element[key]);
  }
  return Object.keys(out).length ? out : undefined;
}

function select(list: string | readonly string[], schemas: ResourceTypeSchemas): Selection {
  const names = typeof list === 'string' ? list.split(',') : list;
  const selection: Selection = new Map();
  for (const raw of names.slice(0, 500)) {
    if (typeof raw !== 'string' || raw.trim() === '') continue;
    let target;
    try {
      target = schemas.resolve(parseAttrPath(raw.trim()));
    } catch (e) {
      if (e instanceof ScimError) continue; // RFC 7644 leaves unknown names undefined; ignoring them is the forgiving choice
      throw e;
    }
    if (!target) continue;
    if (target.kind === 'extension') {
      for (const a of target.schema.definition.attributes) selection.set(a, 'all');
      continue;
    }
    const { attribute, subAttribute } = target;
    if (!subAttribute) {
      selection.set(attribute, 'all');
      continue;
    }
    const existing = selection.get(attribute);
    if (existing === 'all') continue;
    const set = existing ?? new Set<string>();
    if (attribute.type === 'complex' && findSubAttribute(attribute, subAttribute.name))
      set.add(subAttribute.name.toLowerCase());
    selection.set(attribute, set);
  }
  return selection;
}
