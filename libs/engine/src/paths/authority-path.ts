import {
  findSubAttribute,
  parsePath,
  ScimError,
  type AttributeDefinition,
  type ComplexAttribute,
  type ResourceTypeSchemas,
  type SchemaView,
  type SimpleAttribute,
} from '@hub/scim';

/**
 * One unit of authority (DESIGN §1 "attribute"): a simple attribute, a complex attribute as a
 * whole, one sub-attribute, the elements of a multi-valued attribute that share one `type`
 * (`emails[type eq "work"]`), or one sub-attribute of those (`emails[type eq "work"].value`).
 * Extension attributes are units of their own under their schema URN.
 */
export interface UnitPath {
  /** Canonical text, also the provenance and rule key: `name.givenName`, `emails[type eq "work"]`. */
  readonly key: string;
  readonly schema: SchemaView;
  readonly attribute: AttributeDefinition;
  /** Typed element selector: the canonical `type` value, null for elements without a type; absent otherwise. */
  readonly elementType?: string | null;
  readonly subAttribute?: SimpleAttribute;
}

/** What a rule path may name: a unit, or a whole extension schema (its rule covers every attribute in it). */
export type PathTarget =
  | { readonly kind: 'unit'; readonly unit: UnitPath }
  | { readonly kind: 'extension'; readonly key: string; readonly schema: SchemaView };

export type PathParseResult =
  { readonly ok: true; readonly target: PathTarget } | { readonly ok: false; readonly message: string };

/** Core attributes the hub itself maintains; no source is an authority for them. */
const HUB_MANAGED = new Set(['id', 'meta', 'schemas', 'externalid']);

/** Multi-valued complex attributes whose elements carry a `type`: authority is per type value. */
export function isTypedAttribute(attr: AttributeDefinition): attr is ComplexAttribute {
  return attr.type === 'complex' && attr.multiValued && findSubAttribute(attr, 'type') !== undefined;
}

/**
 * Why no source can be an authority for an attribute, or undefined when one can: the common
 * attributes the hub maintains, `externalId` (per source, RFC 7643 §3.1) and read-only attributes
 * (e.g. User `groups`, derived from Group memberships).
 */
export function hubManagedReason(view: SchemaView, attr: AttributeDefinition): string | undefined {
  if (!view.extension && HUB_MANAGED.has(attr.name.toLowerCase())) {
    return attr.name === 'externalId'
      ? '"externalId" belongs to each source and is not part of the golden record'
      : `"${attr.name}" is maintained by the hub`;
  }
  if (attr.mutability === 'readOnly') return `"${attr.name}" is read-only and maintained by the hub`;
  return undefined;
}

/**
 * The canonical key of a `type` value: the schema's canonical spelling when it is one of the
 * canonical values (case-insensitively), else lower-cased unless `type` is case-exact. Elements
 * without a string type get null.
 */
export function canonicalTypeKey(attr: ComplexAttribute, raw: unknown): string | null {
  if (typeof raw !== 'string' || raw.length === 0) return null;
  const typeSub = findSubAttribute(attr, 'type');
  const lower = raw.toLowerCase();
  if (typeSub && typeSub.type === 'string') {
    const canonical = typeSub.canonicalValues?.find((v) => v.toLowerCase() === lower);
    if (canonical !== undefined) return canonical;
    if (typeSub.caseExact) return raw;
  }
  return lower;
}

/** Canonical text of a unit. */
export function unitKey(
  view: SchemaView,
  attr: AttributeDefinition,
  elementType?: string | null,
  sub?: SimpleAttribute,
): string {
  let key = view.extension ? `${view.definition.id}:${attr.name}` : attr.name;
  if (elementType !== undefined) key += `[type eq ${JSON.stringify(elementType)}]`;
  if (sub) key += `.${sub.name}`;
  return key;
}

export function makeUnit(
  view: SchemaView,
  attr: AttributeDefinition,
  elementType?: string | null,
  sub?: SimpleAttribute,
): UnitPath {
  return {
    key: unitKey(view, attr, elementType, sub),
    schema: view,
    attribute: attr,
    ...(elementType !== undefined ? { elementType } : {}),
    ...(sub ? { subAttribute: sub } : {}),
  };
}

/**
 * Keys from the most specific to the least: `emails[type eq "work"].value` → `emails[type eq "work"]`
 * → `emails` (→ the extension URN for extension attributes). The rule for a unit is the first of
 * these that has one; the default rule covers the rest.
 */
export function ancestorKeys(unit: UnitPath): string[] {
  const { schema, attribute, elementType, subAttribute } = unit;
  const keys = [unit.key];
  if (subAttribute && elementType !== undefined) keys.push(unitKey(schema, attribute, elementType));
  if (subAttribute || elementType !== undefined) keys.push(unitKey(schema, attribute));
  if (schema.extension) keys.push(schema.definition.id);
  return keys;
}

/**
 * Parses a rule path against a resource type: `displayName`, `name.givenName`,
 * `emails[type eq "work"]`, `emails[type eq "work"].value`, `emails[type eq null]` (elements
 * without a type), `urn:…:enterprise:2.0:User:department`, or an extension URN alone.
 * Names are matched case-insensitively and returned in canonical spelling.
 */
export function parseAuthorityPath(text: unknown, schemas: ResourceTypeSchemas): PathParseResult {
  if (typeof text !== 'string') return { ok: false, message: 'must be a string' };
  const shown = JSON.stringify(text);
  let parsed;
  try {
    parsed = parsePath(text.trim());
  } catch (err) {
    if (err instanceof ScimError) return { ok: false, message: `invalid path ${shown}: ${err.message}` };
    throw err;
  }
  const unknown = { ok: false, message: `unknown attribute ${shown} in ${schemas.name}` } as const;
  const resolved = schemas.resolve(parsed.attrPath);
  if (!resolved) return unknown;
  if (resolved.kind === 'extension') {
    if (parsed.filter || parsed.subAttr !== undefined) return unknown;
    return {
      ok: true,
      target: { kind: 'extension', key: resolved.schema.definition.id, schema: resolved.schema },
    };
  }
  const { schema, attribute } = resolved;
  const managed = hubManagedReason(schema, attribute);
  if (managed) return { ok: false, message: `${managed}; it cannot be ruled (${shown})` };

  if (!parsed.filter) {
    if (resolved.subAttribute) {
      if (attribute.multiValued) {
        return {
          ok: false,
          message: `${shown}: name the typed elements, e.g. ${attribute.name}[type eq "work"].${resolved.subAttribute.name}`,
        };
      }
      return {
        ok: true,
        target: { kind: 'unit', unit: makeUnit(schema, attribute, undefined, resolved.subAttribute) },
      };
    }
    return { ok: true, target: { kind: 'unit', unit: makeUnit(schema, attribute) } };
  }

  // A value filter selects typed elements: exactly `type eq "<value>"` or `type eq null`.
  if (!isTypedAttribute(attribute)) {
    return { ok: false, message: `${shown}: "${attribute.name}" has no typed elements to select` };
  }
  const f = parsed.filter;
  if (
    f.kind !== 'compare' ||
    f.op !== 'eq' ||
    f.path.uri !== undefined ||
    f.path.subAttr !== undefined ||
    f.path.attr.toLowerCase() !== 'type' ||
    (typeof f.value !== 'string' && f.value !== null)
  ) {
    return { ok: false, message: `${shown}: the value filter must be type eq "<value>" or type eq null` };
  }
  const elementType = canonicalTypeKey(attribute, f.value);
  if (parsed.subAttr === undefined) {
    return { ok: true, target: { kind: 'unit', unit: makeUnit(schema, attribute, elementType) } };
  }
  const sub = findSubAttribute(attribute, parsed.subAttr);
  if (!sub) return unknown;
  if (sub.name === 'type')
    return { ok: false, message: `${shown}: "type" selects the elements and cannot be ruled itself` };
  return { ok: true, target: { kind: 'unit', unit: makeUnit(schema, attribute, elementType, sub) } };
}

/** Like parseAuthorityPath for places that need a unit; throws a plain Error with the message. */
export function requireUnit(text: string, schemas: ResourceTypeSchemas): UnitPath {
  const r = parseAuthorityPath(text, schemas);
  if (!r.ok) throw new Error(r.message);
  if (r.target.kind !== 'unit') throw new Error(`${JSON.stringify(text)} names a schema, not an attribute`);
  return r.target.unit;
}
