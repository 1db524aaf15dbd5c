import {
  printValue,
  type AttributeDefinition,
  type JsonObject,
  type PatchOperation,
  type ResourceTypeSchemas,
  type SchemaView,
} from '@hub/scim';

export interface BuildPatchOptions {
  /** Most member values added or removed by one PATCH request. Default 100. */
  readonly batchSize?: number;
  /** Most operations in one request (the server's limit). Default 1000. */
  readonly maxOperations?: number;
  /** Multi-valued attributes diffed element by element on `value` (not replaced whole). Default `members`. */
  readonly keyedByValue?: readonly string[];
}

/** Never sent: server-owned, or write-only (a password in the desired state would be re-set on every push). */
const SKIP = new Set(['id', 'meta', 'schemas']);

interface Unit {
  readonly ops: PatchOperation[];
  /** Member values changed (counted against batchSize). */
  readonly weight: number;
}

/**
 * The minimal RFC 7644 §3.5.2 PATCH requests that turn `before` (what the target has) into
 * `after` (what it should have), for one resource type. Strict RFC: a member is removed with
 * `members[value eq "…"]`, never with a bare `members` path and a value list (some servers then
 * clear the whole group); members are added and removed in batches. Returns request bodies'
 * operation lists, in order; none when nothing differs.
 */
export function buildPatch(
  before: JsonObject,
  after: JsonObject,
  schemas: ResourceTypeSchemas,
  options: BuildPatchOptions = {},
): PatchOperation[][] {
  const batchSize = Math.max(1, options.batchSize ?? 100);
  const maxOperations = Math.max(1, options.maxOperations ?? 1000);
  const keyed = new Set((options.keyedByValue ?? ['members']).map((k) => k.toLowerCase()));
  const removes: PatchOperation[] = [];
  const sets: PatchOperation[] = [];
  const memberUnits: Unit[] = [];

  const diffContainer = (view: SchemaView, b: JsonObject, a: JsonObject, prefix: string) => {
    for (const attr of schemas.attributesOf(view)) {
      if (SKIP.has(attr.name) || attr.mutability === 'readOnly' || attr.returned === 'never') continue;
      const path = prefix + attr.name;
      const bv = present(getCi(b, attr.name));
      const av = present(getCi(a, attr.name));
      if (bv === undefined && av === undefined) continue;
      // Members are diffed one by one even when all go: a bare `remove members` is exactly
      // what the RFC allows but what a hub pushing to many servers should not rely on.
      if (attr.multiValued && attr.type === 'complex' && keyed.has(attr.name.toLowerCase())) {
        memberUnits.push(...diffByValue(path, asArray(bv), asArray(av), batchSize));
        continue;
      }
      if (av === undefined) {
        removes.push({ op: 'remove', path });
        continue;
      }
      if (bv === undefined) {
        sets.push(attr.multiValued ? { op: 'add', path, value: av } : { op: 'replace', path, value: av });
        continue;
      }
      if (attr.type === 'complex' && !attr.multiValued && isObject(bv) && isObject(av)) {
        diffSubAttributes(attr, bv, av, path);
        continue;
      }
      if (!sameValue(bv, av, attr.multiValued)) sets.push({ op: 'replace', path, value: av });
    }
  };

  const diffSubAttributes = (attr: AttributeDefinition, b: JsonObject, a: JsonObject, path: string) => {
    if (attr.type !== 'complex') return;
    for (const sub of attr.subAttributes) {
      if (sub.mutability === 'readOnly' || sub.returned === 'never') continue;
      const bv = present(getCi(b, sub.name));
      const av = present(getCi(a, sub.name));
      if (bv === undefined && av === undefined) continue;
      if (av === undefined) removes.push({ op: 'remove', path: `${path}.${sub.name}` });
      else if (bv === undefined || !sameValue(bv, av, false))
        sets.push({ op: 'replace', path: `${path}.${sub.name}`, value: av });
    }
  };

  diffContainer(schemas.core, before, after, '');
  for (const view of schemas.extensions) {
    const urn = view.definition.id;
    const b = getCi(before, urn);
    const a = getCi(after, urn);
    if (!isObject(a)) {
      if (isObject(b) && Object.keys(b).length) removes.push({ op: 'remove', path: urn });
      continue;
    }
    diffContainer(view, isObject(b) ? b : {}, a, `${urn}:`);
  }

  // Removes first, so a replace never races a remove of the same element; then member batches.
  const units: Unit[] = [];
  const general = [...removes, ...sets];
  for (let i = 0; i < general.length; i += maxOperations)
    units.push({ ops: general.slice(i, i + maxOperations), weight: 0 });
  units.push(...memberUnits);
  return pack(units, batchSize, maxOperations);
}

/** Member removes one filtered op each, adds as `add members` with up to batchSize values. */
function diffByValue(path: string, before: unknown[], after: unknown[], batchSize: number): Unit[] {
  const key = (e: unknown) => (isObject(e) && e.value !== undefined ? String(e.value) : JSON.stringify(e));
  const had = new Set(before.map(key));
  const wanted = new Set(after.map(key));
  const removed = [...had].filter((k) => !wanted.has(k));
  const added = after.filter(
    (e, i, all) => !had.has(key(e)) && all.findIndex((x) => key(x) === key(e)) === i,
  );
  const units: Unit[] = removed.map((value) => ({
    ops: [{ op: 'remove', path: `${path}[value eq ${printValue(value)}]` }],
    weight: 1,
  }));
  for (let i = 0; i < added.length; i += batchSize) {
    const chunk = added.slice(i, i + batchSize);
    units.push({ ops: [{ op: 'add', path, value: chunk }], weight: chunk.length });
  }
  return units;
}

function pack(units: Unit[], batchSize: number, maxOperations: number): PatchOperation[][] {
  const requests: PatchOperation[][] = [];
  let ops: PatchOperation[] = [];
  let weight = 0;
  for (const unit of units) {
    if (ops.length && (ops.length + unit.ops.length > maxOperations || weight + unit.weight > batchSize)) {
      requests.push(ops);
      ops = [];
      weight = 0;
    }
    ops.push(...unit.ops);
    weight += unit.weight;
  }
  if (ops.length) requests.push(ops);
  return requests;
}

function getCi(obj: JsonObject, name: string): unknown {
  if (Object.prototype.hasOwnProperty.call(obj, name)) return obj[name];
  const lower = name.toLowerCase();
  for (const k of Object.keys(obj)) if (k.toLowerCase() === lower) return obj[k];
  return undefined;
}

/** RFC 7643 §2.5: null, "" and [] are "unassigned". */
function present(v: unknown): unknown {
  if (v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0)) return undefined;
  return v;
}

function asArray(v: unknown): unknown[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep equality; multi-valued attributes ignore element order (RFC 7643 §2.4: unordered). */
function sameValue(a: unknown, b: unknown, unordered: boolean): boolean {
  if (unordered && Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    const keys = b.map(canonical);
    return a.map(canonical).every((k) => {
      const i = keys.indexOf(k);
      if (i < 0) return false;
      keys.splice(i, 1);
      return true;
    });
  }
  return canonical(a) === canonical(b);
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isObject(v))
    return `{${Object.keys(v)
      .filter((k) => present(v[k]) !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}
