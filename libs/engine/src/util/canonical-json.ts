import { createHash, hash } from 'node:crypto';

/** Deepest nesting canonicalised; SCIM resources are three levels deep, so this only stops hostile input. */
const MAX_DEPTH = 64;

/**
 * Stable JSON text: object keys sorted by code unit, `undefined`, functions and symbols dropped
 * (as JSON.stringify drops them), array order kept. Equal content gives equal text whatever the
 * key order it was built with.
 */
export function canonicalJson(value: unknown): string {
  return write(value, MAX_DEPTH) ?? 'null';
}

/** Characters JSON.stringify would escape (lone surrogates included): the rest is quoted as is. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what JSON escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

// Built by concatenation (no part arrays): this runs for every contribution, push and
// reconciled object. The text must never change: stored hashes and the audit chain depend on it.
function write(value: unknown, depth: number): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : `"${value}"`;
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      break;
    default:
      // undefined, function, symbol, bigint: not JSON.
      return undefined;
  }
  if (depth <= 0) throw new RangeError('JSON nesting too deep');
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i ? ',' : '') + (write(value[i], depth - 1) ?? 'null');
    return `${out}]`;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length > 1) keys.sort();
  let out = '{';
  for (const key of keys) {
    const v = write(obj[key], depth - 1);
    if (v === undefined) continue;
    out += `${out.length > 1 ? ',' : ''}${NEEDS_ESCAPE.test(key) ? JSON.stringify(key) : `"${key}"`}:${v}`;
  }
  return `${out}}`;
}

/** SHA-256 of the canonical JSON, base64url: the content hash stored beside contributions and provenance. */
export function hashJson(value: unknown): string {
  const text = canonicalJson(value);
  // One-shot crypto.hash (Node ≥ 20.12) is several times cheaper than a Hash object for short input.
  return typeof hash === 'function'
    ? hash('sha256', text, 'base64url')
    : createHash('sha256').update(text).digest('base64url');
}

/** Structural equality through canonical text (key order ignored, array order kept). */
export function sameJson(a: unknown, b: unknown): boolean {
  return a === b || canonicalJson(a) === canonicalJson(b);
}

/** Short rendering of a value for human sentences and error messages. */
export function renderValue(value: unknown, max = 80): string {
  let text: string;
  if (Array.isArray(value) && value.length > 0 && value.every(hasScalarValue)) {
    // Multi-valued elements read best as their values: "a@x", "b@x".
    text = value.map((e) => JSON.stringify((e as { value: unknown }).value)).join(', ');
  } else {
    text = canonicalJson(value);
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function hasScalarValue(e: unknown): boolean {
  if (e === null || typeof e !== 'object' || Array.isArray(e)) return false;
  const v = (e as { value?: unknown }).value;
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/** A plain JSON object (not an array, not null, plain prototype). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
