import { LIMITS } from '../constants';
import { InvalidValueError, MutabilityError, NoTargetError, toScimError } from '../errors/scim-error';
import { compileFilter } from '../filter/filter.evaluator';
import type { FilterNode } from '../filter/filter.types';
import type { SchemaView } from '../schema/resource-type-schemas';
import { findSubAttribute } from '../schema/resource-type-schemas';
import {
  isCaseExact,
  type AttributeDefinition,
  type ComplexAttribute,
  type SimpleAttribute,
} from '../schema/schema.types';
import {
  cloneJson,
  deleteOwnCi,
  findOwnKey,
  getOwnCi,
  isPlainObject,
  jsonEqual,
  setOwn,
  setOwnCi,
  type JsonObject,
} from '../util/json.util';
import { comparisonKey } from '../values/value.compare';
import type { AttributeOperation, ExtensionOperation, ValidatedOperation } from './patch.types';

/**
 * Last step of PATCH: applies validated operations to a copy of the resource and returns it.
 * All or nothing: the input is never modified, so a failing operation leaves it as it was
 * (RFC 7644 §3.5.2: "the entire PATCH request SHALL be treated as atomic").
 */
export function applyPatch(resource: JsonObject, ops: readonly ValidatedOperation[]): JsonObject {
  let doc: JsonObject;
  try {
    doc = cloneJson(resource);
  } catch (e) {
    throw toScimError(e);
  }
  for (const op of ops) {
    if (op.target === 'extension') removeExtension(doc, op);
    else applyAttributeOp(doc, op);
  }
  return doc;
}

function removeExtension(doc: JsonObject, op: ExtensionOperation): void {
  const urn = op.schema.definition.id;
  if (findOwnKey(doc, urn) === undefined) return;
  if (op.schema.required)
    throw new MutabilityError(`${urn} is required by the resource type and cannot be removed`);
  for (const attr of op.schema.definition.attributes) {
    const container = getOwnCi(doc, urn);
    if (isPlainObject(container) && getOwnCi(container, attr.name) !== undefined)
      checkRemovable(attr, `${urn}:${attr.name}`);
  }
  deleteOwnCi(doc, urn);
  syncSchemas(doc, urn, false);
}

function applyAttributeOp(doc: JsonObject, op: AttributeOperation): void {
  const container = containerOf(doc, op.schema, op.op !== 'remove');
  if (!container) return; // removing from an extension that is not there
  if (op.filter) applyFiltered(container, op, op.filter);
  else if (op.subAttribute) applySubAttribute(container, op, op.subAttribute);
  else applyWhole(container, op);
  if (op.schema.extension) tidyExtension(doc, op.schema);
}

// --- whole attribute: `userName`, `name`, `emails`, `urn:...:User:manager` -----------------------------

function applyWhole(container: JsonObject, op: AttributeOperation): void {
  const attr = op.attribute;
  const current = getOwnCi(container, attr.name);
  const present = current !== undefined && current !== null;
  if (op.op === 'remove') {
    if (!present) return;
    checkRemovable(attr, op.pathText);
    deleteOwnCi(container, attr.name);
    return;
  }
  const next = nextWholeValue(attr, current, op);
  if (present && jsonEqual(current, next)) return;
  if (attr.mutability === 'readOnly') throw new MutabilityError(`${op.pathText} is readOnly`);
  if (attr.mutability === 'immutable' && present)
    throw new MutabilityError(`${op.pathText} is immutable and already set`);
  setOwnCi(container, attr.name, next);
}

function nextWholeValue(attr: AttributeDefinition, current: unknown, op: AttributeOperation): unknown {
  if (!attr.multiValued) {
    // RFC 7644 §3.5.2.1/§3.5.2.3: a complex value merges its sub-attributes into the existing one.
    if (attr.type === 'complex')
      return { ...(isPlainObject(current) ? cloneJson(current) : {}), ...(op.value as JsonObject) };
    return op.value;
  }
  const incoming = op.value as unknown[];
  if (op.op === 'replace' || !Array.isArray(current)) {
    return checkSize(fixPrimary(attr, incoming.slice(), new Set(incoming.filter(isPrimary))), op);
  }
  return checkSize(mergeElements(attr, current.slice(), incoming), op);
}

/**
 * RFC 7644 §3.5.2.1 add to a multi-valued attribute: new values are appended, values already
 * present are merged instead of duplicated. One pass with a key map, so adding m values to n is O(n + m).
 */
function mergeElements(attr: AttributeDefinition, list: unknown[], incoming: unknown[]): unknown[] {
  const index = new Map<string, number>();
  list.forEach((e, i) => {
    const k = identity(attr, e);
    if (!index.has(k)) index.set(k, i);
  });
  const promoted = new Set<unknown>();
  for (const value of incoming) {
    const k = identity(attr, value);
    const at = index.get(k);
    if (at === undefined) {
      index.set(k, list.length);
      list.push(value);
      if (isPrimary(value)) promoted.add(value);
    } else if (isPlainObject(value) && isPlainObject(list[at])) {
      const merged = { ...(list[at] as JsonObject), ...value };
      list[at] = merged;
      if (isPrimary(value)) promoted.add(merged);
    }
  }
  return fixPrimary(attr, list, promoted);
}

/** Elements with the same `value` (and `type`) are one element; others compare whole. */
function identity(attr: AttributeDefinition, element: unknown): string {
  if (attr.type !== 'complex')
    return JSON.stringify(comparisonKey(attr.type, isCaseExact(attr), element) ?? element);
  if (!isPlainObject(element)) return JSON.stringify(element);
  const valueAttr = findSubAttribute(attr, 'value');
  if (valueAttr && element['value'] !== undefined) {
    const typeAttr = findSubAttribute(attr, 'type');
    return JSON.stringify([
      comparisonKey(valueAttr.type, isCaseExact(valueAttr), element['value']) ?? null,
      typeAttr ? (comparisonKey(typeAttr.type, isCaseExact(typeAttr), element['type']) ?? null) : null,
    ]);
  }
  return JSON.stringify(
    Object.keys(element)
      .sort()
      .map((k) => [k, element[k]]),
  );
}

// --- sub-attribute of a single-valued complex attribute: `name.givenName` -----------------------------

function applySubAttribute(container: JsonObject, op: AttributeOperation, sub: SimpleAttribute): void {
  const attr = op.attribute;
  const current = getOwnCi(container, attr.name);
  const complexValue = isPlainObject(current) ? current : undefined;
  const existing = complexValue ? getOwnCi(complexValue, sub.name) : undefined;
  const present = existing !== undefined && existing !== null;
  if (op.op === 'remove') {
    if (!present) return;
    checkRemovable(sub, op.pathText, attr);
    const next = cloneJson(complexValue!);
    deleteOwnCi(next, sub.name);
    if (Object.keys(next).length === 0) {
      checkRemovable(attr, op.pathText);
      deleteOwnCi(container, attr.name);
    } else setOwnCi(container, attr.name, next);
    return;
  }
  if (present && jsonEqual(existing, op.value)) return;
  checkWritable(sub, present, op.pathText, attr);
  const next = complexValue ? cloneJson(complexValue) : {};
  setOwnCi(next, sub.name, op.value);
  setOwnCi(container, attr.name, next);
}

// --- value filter: `members[value eq "x"]`, `emails[type eq "work"].value` ---------------------------

function applyFiltered(container: JsonObject, op: AttributeOperation, filter: FilterNode): void {
  const attr = op.attribute as ComplexAttribute;
  const current = getOwnCi(container, attr.name);
  const list = Array.isArray(current) ? current.slice() : [];
  const predicate = compileFilter(filter);
  const matches: number[] = [];
  list.forEach((e, i) => {
    if (isPlainObject(e) && predicate(e)) matches.push(i);
  });

  if (matches.length === 0) {
    // RFC 7644 §3.5.2.1: add to a target that does not exist creates it. RFC 7644 §3.5.2.3:
    // replace with no match is noTarget, unless the client's dialect asked for an upsert.
    if (op.op === 'remove') {
      if (op.ignoreNoTarget) return;
      throw new NoTargetError(`${op.pathText} matches no value`);
    }
    if (op.op === 'replace' && !op.upsert) throw new NoTargetError(`${op.pathText} matches no value`);
    const seed = elementFromFilter(filter);
    if (!seed)
      throw new NoTargetError(`${op.pathText} matches no value and cannot be created from its filter`);
    const element = op.subAttribute
      ? { ...seed, [op.subAttribute.name]: op.value }
      : { ...seed, ...(op.value as JsonObject) };
    checkWritableNew(attr, element, op);
    list.push(element);
    writeList(container, attr, fixPrimary(attr, list, new Set(isPrimary(element) ? [element] : [])), op);
    return;
  }

  if (op.op === 'remove') {
    if (op.subAttribute) {
      const sub = op.subAttribute;
      const drop = new Set<number>();
      for (const i of matches) {
        const e = list[i] as JsonObject;
        if (getOwnCi(e, sub.name) === undefined) continue;
        checkRemovable(sub, op.pathText, attr);
        const next = cloneJson(e);
        deleteOwnCi(next, sub.name);
        if (Object.keys(next).length === 0) drop.add(i);
        else list[i] = next;
      }
      writeList(
        container,
        attr,
        list.filter((_, i) => !drop.has(i)),
        op,
      );
      return;
    }
    if (attr.mutability === 'readOnly' || attr.mutability === 'immutable')
      throw new MutabilityError(`${op.pathText} cannot be removed`);
    const drop = new Set(matches);
    writeList(
      container,
      attr,
      list.filter((_, i) => !drop.has(i)),
      op,
    );
    return;
  }

  if (attr.mutability === 'readOnly') throw new MutabilityError(`${op.pathText} is readOnly`);
  const setsPrimary = op.subAttribute
    ? op.subAttribute.name === 'primary' && op.value === true
    : isPrimary(op.value);
  const promoted = new Set<unknown>();
  for (const i of matches) {
    const e = list[i] as JsonObject;
    let next: JsonObject;
    if (op.subAttribute) {
      const existing = getOwnCi(e, op.subAttribute.name);
      if (jsonEqual(existing, op.value)) continue;
      checkWritable(op.subAttribute, existing !== undefined && existing !== null, op.pathText, attr);
      next = cloneJson(e);
      setOwnCi(next, op.subAttribute.name, op.value);
    } else if (op.op === 'replace') {
      // RFC 7644 §3.5.2.3: "all matching record values SHALL be replaced".
      next = cloneJson(op.value as JsonObject);
    } else {
      next = { ...cloneJson(e), ...(op.value as JsonObject) };
    }
    list[i] = next;
    if (setsPrimary) promoted.add(next);
  }
  writeList(container, attr, fixPrimary(attr, list, promoted), op);
}

/** `type eq "work" and primary eq true` → `{type: "work", primary: true}`; anything else cannot seed an element. */
function elementFromFilter(filter: FilterNode): JsonObject | undefined {
  const out: JsonObject = {};
  const walk = (n: FilterNode): boolean => {
    if (n.kind === 'and') return walk(n.left) && walk(n.right);
    if (n.kind !== 'compare' || n.op !== 'eq' || n.value === null || !n.attr?.subAttribute) return false;
    const name = n.attr.subAttribute;
    if (out[name] !== undefined && out[name] !== n.value) return false;
    setOwn(out, name, n.value);
    return true;
  };
  return walk(filter) ? out : undefined;
}

function writeList(
  container: JsonObject,
  attr: AttributeDefinition,
  list: unknown[],
  op: AttributeOperation,
): void {
  if (list.length === 0) {
    checkRemovable(attr, op.pathText);
    deleteOwnCi(container, attr.name);
    return;
  }
  setOwnCi(container, attr.name, checkSize(list, op));
}

// --- primary, mutability, size ---------------------------------------------------------------------

function isPrimary(v: unknown): boolean {
  return isPlainObject(v) && v['primary'] === true;
}

/**
 * RFC 7643 §2.4: at most one `primary: true`. Setting it on one element clears it on the others;
 * setting it on two in one operation is a client error.
 */
function fixPrimary(attr: AttributeDefinition, list: unknown[], promoted: Set<unknown>): unknown[] {
  if (attr.type !== 'complex' || !findSubAttribute(attr, 'primary')) return list;
  if (promoted.size > 1) throw new InvalidValueError(`At most one value of ${attr.name} may be primary`);
  const winner = promoted.size === 1 ? [...promoted][0] : list.find(isPrimary);
  return list.map((e) => (e !== winner && isPrimary(e) ? { ...(e as JsonObject), primary: false } : e));
}

/** RFC 7644 §3.5.2.2: removing a required or read-only attribute is a mutability error. */
function checkRemovable(attr: AttributeDefinition, pathText: string, parent?: AttributeDefinition): void {
  const mutability =
    parent && parent.mutability !== 'readWrite' && parent.mutability !== 'writeOnly'
      ? parent.mutability
      : attr.mutability;
  if (attr.required) throw new MutabilityError(`${pathText} is required and cannot be removed`);
  if (mutability === 'readOnly' || mutability === 'immutable')
    throw new MutabilityError(`${pathText} is ${mutability} and cannot be removed`);
}

/** readOnly never changes; immutable may only be set when it has no value yet (RFC 7644 §3.5.2). */
function checkWritable(
  attr: AttributeDefinition,
  present: boolean,
  pathText: string,
  parent?: AttributeDefinition,
): void {
  if (attr.mutability === 'readOnly' || parent?.mutability === 'readOnly')
    throw new MutabilityError(`${pathText} is readOnly`);
  if ((attr.mutability === 'immutable' || parent?.mutability === 'immutable') && present) {
    throw new MutabilityError(`${pathText} is immutable and already set`);
  }
}

function checkWritableNew(attr: ComplexAttribute, _element: JsonObject, op: AttributeOperation): void {
  if (attr.mutability === 'readOnly') throw new MutabilityError(`${op.pathText} is readOnly`);
  if (op.subAttribute?.mutability === 'readOnly') throw new MutabilityError(`${op.pathText} is readOnly`);
}

function checkSize(list: unknown[], op: AttributeOperation): unknown[] {
  if (list.length > LIMITS.maxMultiValuedElements)
    throw new InvalidValueError(`${op.pathText} would hold too many values`);
  return list;
}

// --- containers: core attributes at the top, extension attributes under their URN -------------------

function containerOf(doc: JsonObject, view: SchemaView, create: boolean): JsonObject | undefined {
  if (!view.extension) return doc;
  const urn = view.definition.id;
  const existing = getOwnCi(doc, urn);
  if (isPlainObject(existing)) return existing;
  if (!create) return undefined;
  const fresh: JsonObject = {};
  setOwnCi(doc, urn, fresh);
  return fresh;
}

function tidyExtension(doc: JsonObject, view: SchemaView): void {
  const urn = view.definition.id;
  const ext = getOwnCi(doc, urn);
  const empty = !isPlainObject(ext) || Object.keys(ext).length === 0;
  if (empty) deleteOwnCi(doc, urn);
  syncSchemas(doc, urn, !empty);
}

/** Keeps `schemas` listing exactly the extensions present (RFC 7643 §3). */
function syncSchemas(doc: JsonObject, urn: string, present: boolean): void {
  const raw = getOwnCi(doc, 'schemas');
  const list = Array.isArray(raw) ? raw.filter((u) => typeof u === 'string') : [];
  const lower = urn.toLowerCase();
  const has = list.some((u) => u.toLowerCase() === lower);
  if (present && !has) setOwnCi(doc, 'schemas', [...list, urn]);
  else if (!present && has)
    setOwnCi(
      doc,
      'schemas',
      list.filter((u) => u.toLowerCase() !== lower),
    );
}
