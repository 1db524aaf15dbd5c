import {
  findSubAttribute,
  ScimError,
  validateAttributeValue,
  type AttributeDefinition,
  type ComplexAttribute,
  type ResourceTypeSchemas,
  type SchemaView,
  type SimpleAttribute,
} from '@hub/scim';
import { isPlainObject } from '../util/canonical-json';
import {
  canonicalTypeKey,
  hubManagedReason,
  isTypedAttribute,
  makeUnit,
  unitKey,
  type UnitPath,
} from './authority-path';

export interface UnitValue {
  readonly unit: UnitPath;
  /** Never empty: null, '', [] and {} mean "absent" and produce no unit (RFC 7643 §2.5 "unassigned"). */
  readonly value: unknown;
}

export type UnitMap = Map<string, UnitValue>;

export interface DecompositionIssue {
  readonly path: string;
  readonly message: string;
}

export interface Decomposition {
  readonly units: UnitMap;
  /** Attributes that were left out and why (unknown, ill-typed, given twice). */
  readonly issues: DecompositionIssue[];
}

/** Where a unit sits in the granularity of an index, for writing a computed value into a unit map. */
export type UnitPlacement =
  | { readonly kind: 'unit' }
  /** A sub-attribute inside a complex unit kept whole (`name.formatted` when `name` is not split). */
  | { readonly kind: 'within'; readonly parent: UnitPath }
  /** A sub-attribute of typed elements kept whole (`phoneNumbers[type eq "mobile"].value`). */
  | { readonly kind: 'withinElements'; readonly parent: UnitPath }
  /** A unit the index splits into sub-attribute units (`name` when a rule names `name.givenName`). */
  | { readonly kind: 'split' };

const SKIPPED_TOP = new Set(['schemas', 'id', 'meta', 'externalid']);

/**
 * Decomposes SCIM resources of one resource type into authority units and composes units back.
 * The granularity comes from the rules: a complex singular attribute is one unit unless a rule
 * names one of its sub-attributes; typed elements likewise. Names match case-insensitively and
 * come out in schema spelling and schema order, so composition is deterministic.
 */
export class UnitIndex {
  private readonly units = new Map<string, UnitPath>();
  private readonly splitAttributes: ReadonlySet<string>;
  private readonly splitElements: ReadonlySet<string>;

  constructor(
    readonly schemas: ResourceTypeSchemas,
    split: { readonly attributes?: Iterable<string>; readonly elements?: Iterable<string> } = {},
  ) {
    this.splitAttributes = new Set(split.attributes ?? []);
    this.splitElements = new Set(split.elements ?? []);
  }

  /** Interned unit for the parts (one object per key and index). */
  unit(
    view: SchemaView,
    attr: AttributeDefinition,
    elementType?: string | null,
    sub?: SimpleAttribute,
  ): UnitPath {
    const key = unitKey(view, attr, elementType, sub);
    let unit = this.units.get(key);
    if (!unit) {
      unit = makeUnit(view, attr, elementType, sub);
      this.units.set(key, unit);
    }
    return unit;
  }

  isSplit(unit: UnitPath): boolean {
    if (unit.subAttribute) return false;
    if (unit.elementType !== undefined) return this.splitElements.has(unit.key);
    return (
      unit.attribute.type === 'complex' && !unit.attribute.multiValued && this.splitAttributes.has(unit.key)
    );
  }

  placement(unit: UnitPath): UnitPlacement {
    if (this.isSplit(unit)) return { kind: 'split' };
    const { schema, attribute, elementType, subAttribute } = unit;
    if (!subAttribute) return { kind: 'unit' };
    if (elementType !== undefined) {
      const parent = this.unit(schema, attribute, elementType);
      return this.isSplit(parent) ? { kind: 'unit' } : { kind: 'withinElements', parent };
    }
    const parent = this.unit(schema, attribute);
    return this.isSplit(parent) ? { kind: 'unit' } : { kind: 'within', parent };
  }

  decompose(resource: Readonly<Record<string, unknown>>): Decomposition {
    const units: UnitMap = new Map();
    const issues: DecompositionIssue[] = [];
    const core = this.schemas.core;
    for (const key of Object.keys(resource)) {
      if (SKIPPED_TOP.has(key.toLowerCase())) continue;
      const raw = resource[key];
      const ext = key.includes(':') ? this.schemas.findSchema(key) : undefined;
      if (ext && ext.extension) {
        if (raw === null || raw === undefined) continue;
        if (!isPlainObject(raw)) {
          issues.push({ path: ext.definition.id, message: 'must be an object' });
          continue;
        }
        for (const name of Object.keys(raw)) {
          const attr = this.schemas.findAttribute(ext, name);
          if (!attr) issues.push({ path: `${ext.definition.id}:${name}`, message: 'unknown attribute' });
          else this.emit(units, issues, ext, attr, raw[name]);
        }
        continue;
      }
      const attr = this.schemas.findAttribute(core, key);
      if (!attr) issues.push({ path: key, message: 'unknown attribute' });
      else this.emit(units, issues, core, attr, raw);
    }
    return { units, issues };
  }

  private emit(
    units: UnitMap,
    issues: DecompositionIssue[],
    view: SchemaView,
    attr: AttributeDefinition,
    raw: unknown,
  ): void {
    const where = unitKey(view, attr);
    if (hubManagedReason(view, attr)) return;
    let value: unknown;
    try {
      // A lone element where an array is due is read as a one-element array.
      const input =
        attr.multiValued && raw !== null && raw !== undefined && !Array.isArray(raw) ? [raw] : raw;
      value = validateAttributeValue(attr, input, { where, dropReadOnly: false });
    } catch (err) {
      if (!(err instanceof ScimError)) throw err;
      issues.push({ path: where, message: err.message });
      return;
    }
    value = pruneEmpty(value);
    if (value === undefined) return;
    const put = (unit: UnitPath, v: unknown) => {
      if (units.has(unit.key))
        issues.push({ path: unit.key, message: 'given more than once; the last one counts' });
      units.set(unit.key, { unit, value: v });
    };
    if (!attr.multiValued) {
      const whole = this.unit(view, attr);
      if (attr.type === 'complex' && this.isSplit(whole)) {
        const obj = value as Record<string, unknown>;
        for (const sub of attr.subAttributes) {
          if (obj[sub.name] !== undefined) put(this.unit(view, attr, undefined, sub), obj[sub.name]);
        }
      } else {
        put(whole, value);
      }
      return;
    }
    if (!isTypedAttribute(attr)) {
      put(this.unit(view, attr), value);
      return;
    }
    const groups = new Map<string | null, Record<string, unknown>[]>();
    for (const element of value as Record<string, unknown>[]) {
      const t = canonicalTypeKey(attr, element['type']);
      const list = groups.get(t);
      if (list) list.push(element);
      else groups.set(t, [element]);
    }
    for (const [t, elements] of groups) {
      const typed = this.unit(view, attr, t);
      if (!this.isSplit(typed)) {
        put(typed, elements);
        continue;
      }
      // Split typed elements keep one element per type: its sub-attributes are separate units.
      if (elements.length > 1)
        issues.push({ path: typed.key, message: `${elements.length} elements; only the first is used` });
      const first = elements[0]!;
      for (const sub of attr.subAttributes) {
        if (sub.name !== 'type' && first[sub.name] !== undefined)
          put(this.unit(view, attr, t, sub), first[sub.name]);
      }
    }
  }

  /**
   * Builds a resource from units: `schemas` first (core, then extensions that have attributes),
   * attributes in schema order, typed elements ordered by type (canonical values first, then
   * alphabetically, untyped last), at most one `primary: true` per attribute (the first keeps it).
   * Keys are schema names (RFC 7643 ATTRNAME) and URNs, never `__proto__`, so plain assignment is safe.
   */
  compose(values: Iterable<UnitValue>): Record<string, unknown> {
    const byAttr = new Map<AttributeDefinition, UnitValue[]>();
    for (const uv of values) {
      const list = byAttr.get(uv.unit.attribute);
      if (list) list.push(uv);
      else byAttr.set(uv.unit.attribute, [uv]);
    }
    const schemaUrns: string[] = [this.schemas.core.definition.id];
    const out: Record<string, unknown> = { schemas: schemaUrns };
    for (const view of [this.schemas.core, ...this.schemas.extensions]) {
      const target: Record<string, unknown> = view.extension ? {} : out;
      let any = false;
      for (const attr of this.schemas.attributesOf(view)) {
        const list = byAttr.get(attr);
        if (!list) continue;
        const v = composeAttribute(attr, list);
        if (v !== undefined) {
          target[attr.name] = v;
          any = true;
        }
      }
      if (view.extension && any) {
        out[view.definition.id] = target;
        schemaUrns.push(view.definition.id);
      }
    }
    return out;
  }

  /**
   * The simple values a path names in a raw resource (case-insensitive names): for
   * `emails[type eq "work"].value` every work email's value. Used for correlation keys.
   */
  readValues(resource: Readonly<Record<string, unknown>>, unit: UnitPath): unknown[] {
    const container = unit.schema.extension ? getCi(resource, unit.schema.definition.id) : resource;
    if (!isPlainObject(container)) return [];
    const raw = getCi(container, unit.attribute.name);
    if (raw === undefined || raw === null) return [];
    const elements = Array.isArray(raw) ? raw : [raw];
    const out: unknown[] = [];
    for (const element of elements) {
      if (unit.elementType !== undefined) {
        if (!isPlainObject(element)) continue;
        if (canonicalTypeKey(unit.attribute as ComplexAttribute, getCi(element, 'type')) !== unit.elementType)
          continue;
      }
      const v = unit.subAttribute
        ? isPlainObject(element)
          ? getCi(element, unit.subAttribute.name)
          : undefined
        : element;
      if (Array.isArray(v)) out.push(...v);
      else if (v !== undefined && v !== null) out.push(v);
    }
    return out;
  }
}

/**
 * Removes what counts as absent: '' (validation already dropped null, [] and {}), then the
 * containers left empty by that. Empty is absent/null/''/[] everywhere in the engine.
 */
export function pruneEmpty(value: unknown): unknown {
  // Validated values rarely hold '': scan first, copy only when something goes.
  return hasEmpty(value) ? prune(value) : value;
}

function hasEmpty(value: unknown): boolean {
  if (value === '' || value === null) return true;
  if (typeof value !== 'object') return false;
  if (Array.isArray(value)) {
    if (value.length === 0) return true;
    for (const v of value) if (hasEmpty(v)) return true;
    return false;
  }
  const obj = value as Record<string, unknown>;
  let any = false;
  for (const key in obj) {
    any = true;
    if (hasEmpty(obj[key])) return true;
  }
  return !any;
}

function prune(value: unknown): unknown {
  if (value === '' || value === null) return undefined;
  if (Array.isArray(value)) {
    let changed = false;
    const out: unknown[] = [];
    for (const v of value) {
      const p = prune(v);
      if (p !== v) changed = true;
      if (p !== undefined) out.push(p);
    }
    if (out.length === 0) return undefined;
    return changed ? out : value;
  }
  if (isPlainObject(value)) {
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      const p = prune(value[key]);
      if (p !== value[key]) changed = true;
      if (p !== undefined) out[key] = p; // canonical sub-attribute names (ATTRNAME)
    }
    if (Object.keys(out).length === 0) return undefined;
    return changed ? out : value;
  }
  return value;
}

function getCi(obj: Readonly<Record<string, unknown>>, name: string): unknown {
  if (Object.prototype.hasOwnProperty.call(obj, name)) return obj[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(obj)) if (key.toLowerCase() === lower) return obj[key];
  return undefined;
}

function composeAttribute(attr: AttributeDefinition, list: UnitValue[]): unknown {
  if (!attr.multiValued) {
    if (list.length === 1 && !list[0]!.unit.subAttribute) return list[0]!.value;
    // Split complex: sub-attributes in schema order.
    const complex = attr as ComplexAttribute;
    const subs = new Map<string, unknown>();
    for (const uv of list) if (uv.unit.subAttribute) subs.set(uv.unit.subAttribute.name, uv.value);
    const obj: Record<string, unknown> = {};
    for (const sub of complex.subAttributes) if (subs.has(sub.name)) obj[sub.name] = subs.get(sub.name);
    return Object.keys(obj).length > 0 ? obj : undefined;
  }
  if (!isTypedAttribute(attr)) return list[0]!.value;

  // Typed elements: group units by type, order the types, then build elements.
  const byType = new Map<string | null, { whole?: unknown[]; subs?: Map<string, unknown> }>();
  for (const uv of list) {
    const t = uv.unit.elementType ?? null;
    let slot = byType.get(t);
    if (!slot) byType.set(t, (slot = {}));
    if (uv.unit.subAttribute) (slot.subs ??= new Map()).set(uv.unit.subAttribute.name, uv.value);
    else slot.whole = uv.value as unknown[];
  }
  const order = typeOrder(attr);
  const types = [...byType.keys()].sort(order);
  const elements: Record<string, unknown>[] = [];
  for (const t of types) {
    const slot = byType.get(t)!;
    if (slot.whole) elements.push(...(slot.whole as Record<string, unknown>[]));
    if (slot.subs) {
      const element: Record<string, unknown> = {};
      for (const sub of attr.subAttributes) {
        if (sub.name === 'type') {
          if (t !== null) element['type'] = t;
        } else if (slot.subs.has(sub.name)) {
          element[sub.name] = slot.subs.get(sub.name);
        }
      }
      elements.push(element);
    }
  }
  return singlePrimary(elements);
}

/** RFC 7643 §2.4: "primary" true appears at most once; the first element keeps it. */
export function singlePrimary(elements: Record<string, unknown>[]): Record<string, unknown>[] {
  let seen = false;
  for (let i = 0; i < elements.length; i++) {
    if (elements[i]!['primary'] !== true) continue;
    if (!seen) {
      seen = true;
      continue;
    }
    const copy = { ...elements[i]! };
    delete copy['primary'];
    elements[i] = copy;
  }
  return elements;
}

const typeOrderCache = new WeakMap<ComplexAttribute, (a: string | null, b: string | null) => number>();

/** Canonical values in schema order first, then other types alphabetically, untyped last. */
export function typeOrder(attr: ComplexAttribute): (a: string | null, b: string | null) => number {
  let cmp = typeOrderCache.get(attr);
  if (cmp) return cmp;
  const typeSub = findSubAttribute(attr, 'type');
  const canonical = typeSub && typeSub.type === 'string' ? (typeSub.canonicalValues ?? []) : [];
  const rank = new Map(canonical.map((v, i) => [v, i]));
  cmp = (a, b) => {
    if (a === b) return 0;
    if (a === null) return 1;
    if (b === null) return -1;
    const ra = rank.get(a) ?? canonical.length;
    const rb = rank.get(b) ?? canonical.length;
    if (ra !== rb) return ra - rb;
    return a < b ? -1 : 1;
  };
  typeOrderCache.set(attr, cmp);
  return cmp;
}
