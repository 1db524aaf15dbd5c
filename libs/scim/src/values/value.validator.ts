import { LIMITS } from '../constants';
import { InvalidSyntaxError, InvalidValueError } from '../errors/scim-error';
import { findSubAttribute } from '../schema/resource-type-schemas';
import type { AttributeDefinition, ComplexAttribute, SimpleAttribute } from '../schema/schema.types';
import { isPlainObject, quote, setOwn, type JsonObject } from '../util/json.util';
import { isBase64, isDateTime } from './value.compare';

export interface ValueOptions {
  /** Where the value sits, for error details (e.g. `emails[1].value`). */
  readonly where: string;
  /**
   * Request bodies: read-only sub-attributes are ignored (RFC 7644 §3.3, §3.5.1), so clients
   * may echo what they read. Off for data the server itself produced.
   */
  readonly dropReadOnly: boolean;
}

/**
 * Checks a value against its attribute definition and returns it with canonical sub-attribute
 * spelling. Returns undefined for "unassigned" (null, empty array, empty complex: RFC 7643 §2.5).
 * Wrong JSON types are `invalidValue`; unknown sub-attributes are `invalidSyntax`.
 */
export function validateAttributeValue(
  attr: AttributeDefinition,
  value: unknown,
  opts: ValueOptions,
): unknown {
  if (value === null || value === undefined) return undefined;
  if (!attr.multiValued) return validateSingle(attr, value, opts.where, opts);
  if (!Array.isArray(value))
    throw new InvalidValueError(`${opts.where} is multi-valued and must be an array`);
  if (value.length > LIMITS.maxMultiValuedElements)
    throw new InvalidValueError(`${opts.where} has too many values`);
  const out: unknown[] = [];
  let primaries = 0;
  for (let i = 0; i < value.length; i++) {
    const element = value[i];
    if (element === null) throw new InvalidValueError(`${opts.where}[${i}] must not be null`);
    const v = validateSingle(attr, element, `${opts.where}[${i}]`, opts);
    if (v === undefined) continue;
    if (attr.type === 'complex' && (v as JsonObject)['primary'] === true) primaries++;
    out.push(v);
  }
  // RFC 7643 §2.4: the primary value "true" MUST appear no more than once.
  if (primaries > 1) throw new InvalidValueError(`${opts.where}: at most one value may be primary`);
  return out.length === 0 ? undefined : out;
}

/** One element of the attribute (the value itself when single-valued). */
export function validateSingle(
  attr: AttributeDefinition,
  value: unknown,
  where: string,
  opts: ValueOptions,
): unknown {
  if (attr.type === 'complex') return validateComplex(attr, value, where, opts);
  return validateSimple(attr, value, where);
}

export function validateComplex(
  attr: ComplexAttribute,
  value: unknown,
  where: string,
  opts: ValueOptions,
): JsonObject | undefined {
  if (value === null) return undefined;
  if (!isPlainObject(value)) throw new InvalidValueError(`${where} must be an object`);
  const out: JsonObject = {};
  const seen = new Set<string>();
  for (const key of Object.keys(value)) {
    const sub = findSubAttribute(attr, key);
    if (!sub) throw new InvalidSyntaxError(`Unknown sub-attribute ${quote(key)} in ${where}`);
    if (seen.has(sub.name)) throw new InvalidSyntaxError(`${where}.${sub.name} is given more than once`);
    seen.add(sub.name);
    if (opts.dropReadOnly && sub.mutability === 'readOnly') continue;
    const v = validateSubValue(sub, value[key], `${where}.${sub.name}`);
    if (v !== undefined) setOwn(out, sub.name, v);
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

function validateSubValue(sub: SimpleAttribute, value: unknown, where: string): unknown {
  if (value === null) return undefined;
  if (!sub.multiValued) return validateSimple(sub, value, where);
  if (!Array.isArray(value)) throw new InvalidValueError(`${where} is multi-valued and must be an array`);
  if (value.length > LIMITS.maxMultiValuedElements)
    throw new InvalidValueError(`${where} has too many values`);
  const out = value.map((v, i) => validateSimple(sub, v, `${where}[${i}]`)).filter((v) => v !== undefined);
  return out.length === 0 ? undefined : out;
}

export function validateSimple(attr: SimpleAttribute, value: unknown, where: string): unknown {
  if (value === null) return undefined;
  switch (attr.type) {
    case 'string':
    case 'reference':
      if (typeof value !== 'string') throw typeError(where, attr.type, value);
      return value;
    case 'binary':
      if (typeof value !== 'string' || !isBase64(value)) throw typeError(where, 'base64 binary', value);
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') throw typeError(where, 'boolean', value);
      return value;
    case 'integer':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw typeError(where, 'integer', value);
      return value;
    case 'decimal':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw typeError(where, 'decimal', value);
      return value;
    case 'dateTime':
      if (!isDateTime(value)) throw typeError(where, 'dateTime', value);
      return value;
  }
}

function typeError(where: string, expected: string, value: unknown): InvalidValueError {
  const got = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  return new InvalidValueError(`${where} must be a ${expected}, got ${got}`);
}
