/**
 * Small helpers for reading and writing untrusted JSON without touching prototypes.
 * Every read goes through own-property checks so keys such as `constructor` or `__proto__`
 * never resolve to something inherited, and every write goes through `setOwn`.
 */

export type JsonObject = { [key: string]: unknown };

export function isPlainObject(value: unknown): value is JsonObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export function hasOwn(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

/** Own property, exact key. */
export function getOwn(obj: JsonObject, key: string): unknown {
  return hasOwn(obj, key) ? obj[key] : undefined;
}

/**
 * Own key matching `name` case-insensitively (attribute names are case-insensitive, RFC 7643 §2.1).
 * The exact spelling is tried first since stored resources use the schema's spelling.
 */
export function findOwnKey(obj: JsonObject, name: string): string | undefined {
  if (hasOwn(obj, name)) return name;
  const lower = name.toLowerCase();
  for (const key of Object.keys(obj)) {
    if (key.toLowerCase() === lower) return key;
  }
  return undefined;
}

export function getOwnCi(obj: JsonObject, name: string): unknown {
  const key = findOwnKey(obj, name);
  return key === undefined ? undefined : obj[key];
}

/** Sets an own, enumerable data property, even for keys like `__proto__`. */
export function setOwn<T>(obj: JsonObject, key: string, value: T): T {
  // A plain store creates an own data property for every key but `__proto__` (the one accessor on
  // Object.prototype) and is several times faster than defineProperty on the mapping hot paths.
  if (key === '__proto__')
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
  return value;
}

/** Removes every own key equal to `name` ignoring case, so no stale spelling survives a write. */
export function deleteOwnCi(obj: JsonObject, name: string): boolean {
  const lower = name.toLowerCase();
  let deleted = false;
  for (const key of Object.keys(obj)) {
    if (key.toLowerCase() === lower) {
      delete obj[key];
      deleted = true;
    }
  }
  return deleted;
}

/** Writes `value` under the canonical `name`, dropping other spellings of the same name. */
export function setOwnCi(obj: JsonObject, name: string, value: unknown): void {
  const lower = name.toLowerCase();
  for (const key of Object.keys(obj)) {
    if (key !== name && key.toLowerCase() === lower) delete obj[key];
  }
  setOwn(obj, name, value);
}

/**
 * Deep copy of JSON data. Non-JSON values are dropped the way JSON.stringify drops them; the
 * depth bound turns pathological nesting into a RangeError the caller maps to a ScimError.
 */
export function cloneJson<T>(value: T, maxDepth = 64): T {
  return cloneInner(value, maxDepth) as T;
}

function cloneInner(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth <= 0) throw new RangeError('JSON nesting too deep');
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = cloneInner(value[i], depth - 1);
    return out;
  }
  const out: JsonObject = {};
  for (const key of Object.keys(value)) {
    const v = (value as JsonObject)[key];
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    setOwn(out, key, cloneInner(v, depth - 1));
  }
  return out;
}

/** Structural equality of JSON values (object key order ignored). */
export function jsonEqual(a: unknown, b: unknown, depth = 64): boolean {
  if (a === b) return true;
  if (depth <= 0) return false;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], bb[i], depth - 1)) return false;
    return true;
  }
  const ak = Object.keys(a);
  const bo = b as JsonObject;
  if (ak.length !== Object.keys(bo).length) return false;
  for (const k of ak) {
    if (!hasOwn(bo, k) || !jsonEqual((a as JsonObject)[k], bo[k], depth - 1)) return false;
  }
  return true;
}

/** Short, safe rendering of untrusted text for error details. */
export function quote(text: unknown, max = 60): string {
  const s = typeof text === 'string' ? text : String(typeof text);
  return JSON.stringify(s.length > max ? `${s.slice(0, max)}…` : s);
}
