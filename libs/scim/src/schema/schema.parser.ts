import { InvalidSyntaxError, InvalidValueError } from '../errors/scim-error';
import { getOwn, isPlainObject, quote, type JsonObject } from '../util/json.util';
import type {
  AttributeDefinition,
  AttributeType,
  Mutability,
  ResourceTypeDefinition,
  Returned,
  SchemaDefinition,
  SchemaExtensionRef,
  SimpleAttribute,
  Uniqueness,
} from './schema.types';

/** RFC 7643 §2.1 ATTRNAME; `$ref` is the one reserved exception (§2.3.7). */
export const ATTRNAME_RE = /^[A-Za-z][A-Za-z0-9_-]*$/;
export const isAttrName = (s: string): boolean => s === '$ref' || ATTRNAME_RE.test(s);

/** `urn:<nid>:<nss>` in the characters a filter can carry; the last segment must be an ATTRNAME so a path can name the whole extension. */
const URN_RE = /^urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}(:[A-Za-z0-9._-]+)+$/i;
const ENDPOINT_RE = /^\/[A-Za-z][A-Za-z0-9_-]*$/;
const RESOURCE_NAME_RE = /^[A-Za-z][A-Za-z0-9_-]*$/;

const TYPES: readonly AttributeType[] = [
  'string',
  'boolean',
  'decimal',
  'integer',
  'dateTime',
  'binary',
  'reference',
  'complex',
];
const MUTABILITIES: readonly Mutability[] = ['readOnly', 'readWrite', 'immutable', 'writeOnly'];
const RETURNED: readonly Returned[] = ['always', 'never', 'default', 'request'];
const UNIQUENESS: readonly Uniqueness[] = ['none', 'server', 'global'];
/** Names RFC 7643 §3.1 reserves for every resource. */
export const COMMON_ATTRIBUTE_NAMES: ReadonlySet<string> = new Set(['id', 'externalid', 'meta', 'schemas']);

const MAX_ATTRIBUTES = 500;
const MAX_TEXT = 2048;

export function isSchemaUrn(id: string): boolean {
  if (id.length > 256 || !URN_RE.test(id)) return false;
  return ATTRNAME_RE.test(id.slice(id.lastIndexOf(':') + 1));
}

/**
 * Validates an RFC 7643 §7 schema representation (admin input or a built-in) and returns the
 * typed definition with RFC 7643 §2.2 defaults filled in. Unknown keys are dropped.
 */
export function parseSchemaDefinition(input: unknown): SchemaDefinition {
  if (!isPlainObject(input)) throw new InvalidSyntaxError('Schema definition must be a JSON object');
  const id = getOwn(input, 'id');
  if (typeof id !== 'string' || !isSchemaUrn(id)) {
    throw new InvalidValueError(
      `Schema id must be a URN whose last segment is an attribute name, got ${quote(id)}`,
    );
  }
  const attributes = getOwn(input, 'attributes') ?? [];
  if (!Array.isArray(attributes)) throw new InvalidSyntaxError('Schema "attributes" must be an array');
  if (attributes.length > MAX_ATTRIBUTES)
    throw new InvalidValueError(`A schema may define at most ${MAX_ATTRIBUTES} attributes`);
  const parsed = parseAttributeList(attributes, 'attributes', false);
  for (const a of parsed) {
    if (COMMON_ATTRIBUTE_NAMES.has(a.name.toLowerCase())) {
      throw new InvalidValueError(
        `Attribute ${quote(a.name)} is a common attribute (RFC 7643 §3.1) and cannot be redefined`,
      );
    }
  }
  return {
    id,
    ...optionalText(input, 'name'),
    ...optionalText(input, 'description'),
    attributes: parsed,
  };
}

function parseAttributeList(list: unknown[], where: string, isSub: boolean): AttributeDefinition[] {
  const seen = new Set<string>();
  const out: AttributeDefinition[] = [];
  list.forEach((raw, i) => {
    const attr = parseAttribute(raw, `${where}[${i}]`, isSub);
    const key = attr.name.toLowerCase();
    if (seen.has(key))
      throw new InvalidValueError(`Duplicate attribute name ${quote(attr.name)} in ${where}`);
    seen.add(key);
    out.push(attr);
  });
  return out;
}

function parseAttribute(raw: unknown, where: string, isSub: boolean): AttributeDefinition {
  if (!isPlainObject(raw)) throw new InvalidSyntaxError(`${where} must be a JSON object`);
  const name = getOwn(raw, 'name');
  if (typeof name !== 'string' || name.length > 128 || !isAttrName(name) || (name === '$ref' && !isSub)) {
    throw new InvalidValueError(`${where}.name is not a valid attribute name: ${quote(name)}`);
  }
  const at = `${where} (${name})`;
  const type = enumOf(raw, 'type', TYPES, 'string', at);
  const base = {
    name,
    ...optionalText(raw, 'description'),
    multiValued: boolOf(raw, 'multiValued', false, at),
    required: boolOf(raw, 'required', false, at),
    mutability: enumOf(raw, 'mutability', MUTABILITIES, 'readWrite', at),
    returned: enumOf(raw, 'returned', RETURNED, 'default', at),
    uniqueness: enumOf(raw, 'uniqueness', UNIQUENESS, 'none', at),
  };
  if (base.mutability === 'writeOnly' && base.returned !== 'never') {
    throw new InvalidValueError(`${at}: a writeOnly attribute must have returned "never" (RFC 7643 §2.2)`);
  }
  const caseExact = boolOf(raw, 'caseExact', false, at);
  const subAttributes = getOwn(raw, 'subAttributes');
  if (
    type !== 'complex' &&
    subAttributes !== undefined &&
    !(Array.isArray(subAttributes) && subAttributes.length === 0)
  ) {
    throw new InvalidValueError(`${at}: only complex attributes have subAttributes`);
  }
  switch (type) {
    case 'complex': {
      if (isSub) throw new InvalidValueError(`${at}: a sub-attribute cannot be complex (RFC 7643 §2.3.8)`);
      if (!Array.isArray(subAttributes) || subAttributes.length === 0) {
        throw new InvalidValueError(`${at}: a complex attribute needs a non-empty subAttributes array`);
      }
      if (subAttributes.length > MAX_ATTRIBUTES)
        throw new InvalidValueError(`${at}: too many sub-attributes`);
      const subs = parseAttributeList(subAttributes, `${where}.subAttributes`, true) as SimpleAttribute[];
      return { ...base, type, subAttributes: subs };
    }
    case 'string': {
      const canonicalValues = stringList(raw, 'canonicalValues', at);
      return { ...base, type, caseExact, ...(canonicalValues ? { canonicalValues } : {}) };
    }
    case 'reference': {
      // RFC 7643 §7 expects referenceTypes; a pasted schema without it is read as an external URL.
      const referenceTypes = stringList(raw, 'referenceTypes', at) ?? ['external'];
      return { ...base, type, caseExact, referenceTypes };
    }
    case 'binary':
      return { ...base, type, caseExact: true };
    default:
      return { ...base, type };
  }
}

/** Validates an RFC 7643 §6 resource type representation. */
export function parseResourceTypeDefinition(input: unknown): ResourceTypeDefinition {
  if (!isPlainObject(input)) throw new InvalidSyntaxError('Resource type definition must be a JSON object');
  const name = getOwn(input, 'name');
  if (typeof name !== 'string' || name.length > 64 || !RESOURCE_NAME_RE.test(name)) {
    throw new InvalidValueError(`Resource type name is not valid: ${quote(name)}`);
  }
  const id = getOwn(input, 'id') ?? name;
  if (typeof id !== 'string' || id.length > 64 || !RESOURCE_NAME_RE.test(id)) {
    throw new InvalidValueError(`Resource type id is not valid: ${quote(id)}`);
  }
  const endpoint = getOwn(input, 'endpoint');
  if (typeof endpoint !== 'string' || endpoint.length > 64 || !ENDPOINT_RE.test(endpoint)) {
    throw new InvalidValueError(`Resource type endpoint must look like "/Devices", got ${quote(endpoint)}`);
  }
  const schema = getOwn(input, 'schema');
  if (typeof schema !== 'string' || !isSchemaUrn(schema)) {
    throw new InvalidValueError(`Resource type schema must be a schema URN, got ${quote(schema)}`);
  }
  const rawExt = getOwn(input, 'schemaExtensions') ?? [];
  if (!Array.isArray(rawExt) || rawExt.length > 50)
    throw new InvalidSyntaxError('"schemaExtensions" must be an array');
  const seen = new Set<string>([schema.toLowerCase()]);
  const schemaExtensions: SchemaExtensionRef[] = rawExt.map((e, i) => {
    if (!isPlainObject(e)) throw new InvalidSyntaxError(`schemaExtensions[${i}] must be a JSON object`);
    const urn = getOwn(e, 'schema');
    if (typeof urn !== 'string' || !isSchemaUrn(urn)) {
      throw new InvalidValueError(`schemaExtensions[${i}].schema must be a schema URN`);
    }
    if (seen.has(urn.toLowerCase())) throw new InvalidValueError(`Schema ${quote(urn)} is listed twice`);
    seen.add(urn.toLowerCase());
    return { schema: urn, required: boolOf(e, 'required', false, `schemaExtensions[${i}]`) };
  });
  return { id, name, endpoint, ...optionalText(input, 'description'), schema, schemaExtensions };
}

function optionalText(obj: JsonObject, key: 'name' | 'description'): { name?: string; description?: string } {
  const v = getOwn(obj, key);
  if (v === undefined || v === null) return {};
  if (typeof v !== 'string' || v.length > MAX_TEXT)
    throw new InvalidValueError(`"${key}" must be a string of at most ${MAX_TEXT} characters`);
  return { [key]: v };
}

function boolOf(obj: JsonObject, key: string, dflt: boolean, at: string): boolean {
  const v = getOwn(obj, key);
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new InvalidValueError(`${at}.${key} must be a boolean`);
  return v;
}

function enumOf<T extends string>(
  obj: JsonObject,
  key: string,
  allowed: readonly T[],
  dflt: T,
  at: string,
): T {
  const v = getOwn(obj, key);
  if (v === undefined) return dflt;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new InvalidValueError(`${at}.${key} must be one of ${allowed.join(', ')}`);
  }
  return v as T;
}

function stringList(obj: JsonObject, key: string, at: string): string[] | undefined {
  const v = getOwn(obj, key);
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length > 256 || !v.every((s) => typeof s === 'string' && s.length <= 256)) {
    throw new InvalidValueError(`${at}.${key} must be an array of strings`);
  }
  return [...(v as string[])];
}
