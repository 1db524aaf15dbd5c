import {
  comparisonKey,
  isCaseExact,
  type AttributeDefinition,
  type JsonObject,
  type ResourceTypeSchemas,
  type SchemaView,
} from '@hub/scim';

/** One attribute that differs between what the hub would push and what the other side holds. */
export interface AttributeDifference {
  /** `title`, `name.givenName`, `emails`, `urn:…:enterprise:2.0:User:department`. */
  readonly path: string;
  readonly hub: unknown;
  readonly remote: unknown;
}

/**
 * A unit a target owns (it is named as a source for it in the authority rules): excluded from the
 * drift comparison, read back as the target's contribution instead.
 */
export interface OwnedUnit {
  /** Extension URN, or undefined for the core schema. */
  readonly uri?: string;
  readonly attribute: string;
  /** Typed elements (`emails[type eq "work"]`): their canonical type; null for untyped elements. */
  readonly elementType?: string | null;
  readonly subAttribute?: string;
}

export interface CompareOptions {
  /**
   * Attributes the hub pushed before (the link's pushed state): compared too, so a value the hub
   * dropped but the target still holds is drift. Other attributes only the target has are its own.
   */
  readonly pushed?: JsonObject | null;
  readonly owned?: readonly OwnedUnit[];
}

/** Server-managed or hub-only: never compared. */
const IGNORED = new Set(['id', 'meta', 'schemas', 'password', 'groups', 'members']);

/**
 * Compares the representation the hub would push with a remote object, attribute by attribute,
 * on the attributes the hub manages (those in `desired` and in the pushed state). Normalised:
 * names case-insensitively, strings by the schema's case-exactness, date-times by instant,
 * multi-valued attributes as sets, empty values (null, "", [], {}) as absent, `primary: false`
 * as absent.
 */
export function compareRepresentation(
  desired: JsonObject,
  remote: JsonObject,
  schemas: ResourceTypeSchemas,
  options: CompareOptions = {},
): AttributeDifference[] {
  const differences: AttributeDifference[] = [];
  const owned = options.owned ?? [];
  const keys = new Map<string, { view: SchemaView; name: string }>();
  const collect = (o: JsonObject | null | undefined) => {
    if (!o) return;
    for (const key of Object.keys(o)) {
      if (IGNORED.has(key.toLowerCase())) continue;
      const ext = schemas.findSchema(key);
      if (ext?.extension) keys.set(ext.definition.id.toLowerCase(), { view: ext, name: ext.definition.id });
      else if (schemas.findAttribute(schemas.core, key))
        keys.set(key.toLowerCase(), { view: schemas.core, name: key });
    }
  };
  collect(desired);
  collect(options.pushed);
  for (const { view, name } of keys.values()) {
    if (view.extension) {
      const hubExt = asObject(getCi(desired, name));
      const remoteExt = asObject(getCi(remote, name));
      const pushedExt = asObject(getCi(options.pushed, name));
      const names = new Map<string, string>();
      for (const o of [hubExt, pushedExt])
        for (const k of Object.keys(o ?? {})) names.set(k.toLowerCase(), k);
      for (const attrName of names.values()) {
        const attr = schemas.findAttribute(view, attrName);
        if (!attr || IGNORED.has(attr.name.toLowerCase())) continue;
        diffAttribute(
          differences,
          `${view.definition.id}:${attr.name}`,
          attr,
          getCi(hubExt, attrName),
          getCi(remoteExt, attrName),
          ownedOf(owned, view.definition.id, attr.name),
        );
      }
      continue;
    }
    const attr = schemas.findAttribute(view, name)!;
    diffAttribute(
      differences,
      attr.name,
      attr,
      getCi(desired, name),
      getCi(remote, name),
      ownedOf(owned, undefined, attr.name),
    );
  }
  return differences;
}

/**
 * The common case, decided without normalising: the remote object holds exactly what the hub
 * would push (same values, same case, same order) and nothing else the hub could manage (every
 * other key is server-managed or hub-only). Then no attribute differs — neither one the hub would
 * push nor one it pushed before and has since dropped, whatever the link's pushed state — so the
 * pushed state need not be read and no hash need be made. Anything else goes through
 * `compareRepresentation`.
 */
export function holdsExactly(desired: JsonObject, remote: JsonObject): boolean {
  for (const key of Object.keys(remote))
    // Lowered only when not ignored as written (this runs for every object a run reads).
    if (!Object.hasOwn(desired, key) && !IGNORED.has(key) && !IGNORED.has(key.toLowerCase())) return false;
  for (const key of Object.keys(desired)) {
    if (key === 'schemas') continue;
    if (!Object.hasOwn(remote, key) || !sameJsonValue(desired[key], remote[key])) return false;
  }
  return true;
}

function sameJsonValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJsonValue(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka)
    if (!Object.hasOwn(b, k) || !sameJsonValue((a as JsonObject)[k], (b as JsonObject)[k])) return false;
  return true;
}

function diffAttribute(
  out: AttributeDifference[],
  path: string,
  attr: AttributeDefinition,
  hub: unknown,
  remote: unknown,
  owned: readonly OwnedUnit[],
): void {
  if (owned.some((u) => u.elementType === undefined && u.subAttribute === undefined)) return;
  if (attr.type === 'complex' && !attr.multiValued) {
    // Report sub-attributes one by one: `name.givenName`, not the whole `name`.
    const h = asObject(hub) ?? {};
    const r = asObject(remote) ?? {};
    const names = new Map<string, string>();
    for (const k of [...Object.keys(h), ...Object.keys(r)]) names.set(k.toLowerCase(), k);
    for (const sub of attr.subAttributes) {
      if (!names.has(sub.name.toLowerCase())) continue;
      if (owned.some((u) => u.subAttribute?.toLowerCase() === sub.name.toLowerCase())) continue;
      // Only what the hub holds is managed; a sub-attribute only the target has is its own.
      if (isEmpty(getCi(h, sub.name))) continue;
      const a = normaliseValue(sub, getCi(h, sub.name));
      const b = normaliseValue(sub, getCi(r, sub.name));
      if (!sameNormalised(a, b))
        out.push({
          path: `${path}.${sub.name}`,
          hub: getCi(h, sub.name) ?? null,
          remote: getCi(r, sub.name) ?? null,
        });
    }
    return;
  }
  let h = hub;
  let r = remote;
  if (attr.type === 'complex' && attr.multiValued && owned.length) {
    // Owned typed elements are the target's: drop them on both sides.
    h = dropOwnedElements(hub, owned);
    r = dropOwnedElements(remote, owned);
  }
  const a = normaliseValue(attr, h);
  const b = normaliseValue(attr, r);
  if (!sameNormalised(a, b)) out.push({ path, hub: h ?? null, remote: r ?? null });
}

function dropOwnedElements(value: unknown, owned: readonly OwnedUnit[]): unknown {
  if (!Array.isArray(value)) return value;
  const types = new Set(owned.filter((u) => u.elementType !== undefined).map((u) => u.elementType));
  return value.filter((e) => {
    const t = asObject(e)?.type;
    const key = typeof t === 'string' ? t.toLowerCase() : null;
    return ![...types].some((x) => (x === null ? key === null : x?.toLowerCase() === key));
  });
}

function ownedOf(owned: readonly OwnedUnit[], uri: string | undefined, attribute: string): OwnedUnit[] {
  return owned.filter(
    (u) =>
      u.attribute.toLowerCase() === attribute.toLowerCase() &&
      (u.uri ?? '').toLowerCase() === (uri ?? '').toLowerCase(),
  );
}

/** A canonical, comparable form: a string key (JSON of normalised scalars), undefined when empty. */
export function normaliseValue(attr: AttributeDefinition, value: unknown): string | undefined {
  if (isEmpty(value)) return undefined;
  if (attr.multiValued) {
    const list = Array.isArray(value) ? value : [value];
    const keys = list
      .map((v) => normaliseSingle(attr, v))
      .filter((k): k is string => k !== undefined)
      .sort();
    return keys.length ? `[${[...new Set(keys)].join(',')}]` : undefined;
  }
  return normaliseSingle(attr, value);
}

function normaliseSingle(attr: AttributeDefinition, value: unknown): string | undefined {
  if (isEmpty(value)) return undefined;
  if (attr.type === 'complex') {
    const o = asObject(value);
    if (!o) return JSON.stringify(value);
    const parts: string[] = [];
    for (const sub of attr.subAttributes) {
      const v = getCi(o, sub.name);
      if (sub.name === 'primary' && v === false) continue;
      if (sub.name === 'display' || sub.name === '$ref') continue; // server-derived
      const k = normaliseSingle(sub, v);
      if (k !== undefined) parts.push(`${JSON.stringify(sub.name)}:${k}`);
    }
    return parts.length ? `{${parts.join(',')}}` : undefined;
  }
  const key = comparisonKey(attr.type, isCaseExact(attr), value);
  // A value of the wrong type still compares (as itself), so it shows up as drift.
  return JSON.stringify(key === undefined ? value : key);
}

function sameNormalised(a: string | undefined, b: string | undefined): boolean {
  return a === b;
}

export function isEmpty(v: unknown): boolean {
  if (v === null || v === undefined || v === '') return true;
  if (Array.isArray(v)) return v.every(isEmpty);
  if (typeof v === 'object') return Object.values(v as object).every(isEmpty);
  return false;
}

export function getCi(obj: unknown, name: string): unknown {
  const o = asObject(obj);
  if (!o) return undefined;
  if (name in o) return o[name];
  const lower = name.toLowerCase();
  for (const k of Object.keys(o)) if (k.toLowerCase() === lower) return o[k];
  return undefined;
}

export function asObject(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}
