import type { AttributeType } from '../schema/schema.types';

/** xsd:dateTime (RFC 7643 §2.3.5), timezone optional. */
const DATE_TIME_RE = /^(-?\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})?$/;

/** Epoch milliseconds of an xsd:dateTime, or undefined. A value without offset is read as UTC, never local time. */
export function parseDateTime(value: unknown): number | undefined {
  if (typeof value !== 'string' || value.length > 40) return undefined;
  const m = DATE_TIME_RE.exec(value);
  if (!m) return undefined;
  const [, , mo, d, h, mi, s] = m;
  if (+mo! < 1 || +mo! > 12 || +d! < 1 || +d! > 31 || +h! > 24 || +mi! > 59 || +s! > 60) return undefined;
  // Date.parse only takes 3 fraction digits; truncating keeps millisecond order.
  const fraction = m[7] ? m[7].slice(0, 4) : '';
  const ms = Date.parse(`${m[1]}-${mo}-${d}T${h}:${mi}:${s}${fraction}${m[8] ?? 'Z'}`);
  return Number.isNaN(ms) ? undefined : ms;
}

export function isDateTime(value: unknown): boolean {
  return parseDateTime(value) !== undefined;
}

/** Strict base64 (RFC 4648 §4), as RFC 7643 §2.3.6 requires for binary. */
export function isBase64(value: string): boolean {
  return value.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(value);
}

/**
 * Key under which a scalar is compared: folded for case-insensitive strings, epoch ms for
 * dateTime. Undefined when the value does not fit the type (never matches, sorts last).
 */
export function comparisonKey(
  type: AttributeType,
  caseExact: boolean,
  value: unknown,
): string | number | boolean | undefined {
  switch (type) {
    case 'string':
    case 'reference':
    case 'binary':
      if (typeof value !== 'string') return undefined;
      return caseExact ? value : value.toLowerCase();
    case 'boolean':
      return typeof value === 'boolean' ? value : undefined;
    case 'integer':
    case 'decimal':
      return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
    case 'dateTime':
      return parseDateTime(value);
    default:
      return undefined;
  }
}

/** Total order on keys of one type: false < true, numbers numerically, strings by code unit. */
export function compareKeys(a: string | number | boolean, b: string | number | boolean): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** Equality of two scalars under an attribute's type and case-exactness. */
export function scalarEquals(type: AttributeType, caseExact: boolean, a: unknown, b: unknown): boolean {
  const ka = comparisonKey(type, caseExact, a);
  return ka !== undefined && ka === comparisonKey(type, caseExact, b);
}
