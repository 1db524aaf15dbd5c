import { LIMITS, PATCH_OP_URN } from '../constants';
import { InvalidSyntaxError, InvalidValueError, PayloadTooLargeError } from '../errors/scim-error';
import { parsePath } from '../filter/filter.parser';
import type { PatchPath } from '../path/path.types';
import { findSubAttribute, type ResourceTypeSchemas } from '../schema/resource-type-schemas';
import type { AttributeDefinition, SimpleAttribute } from '../schema/schema.types';
import { getOwnCi, isPlainObject, quote, setOwn, type JsonObject } from '../util/json.util';
import {
  DEFAULT_PATCH_DIALECT,
  type NormalisedOperation,
  type PatchDialect,
  type PatchOpName,
} from './patch.types';

export interface NormaliseOptions {
  readonly dialect?: PatchDialect;
  readonly maxOperations?: number;
}

const OPS: readonly PatchOpName[] = ['add', 'remove', 'replace'];

/**
 * First step of PATCH: checks the PatchOp message shape, parses paths and rewrites the known
 * quirks of the client's dialect into plain RFC operations. Everything after this step is
 * dialect-free.
 */
export function normalisePatch(
  body: unknown,
  schemas: ResourceTypeSchemas,
  options: NormaliseOptions = {},
): NormalisedOperation[] {
  const dialect = options.dialect ?? DEFAULT_PATCH_DIALECT;
  if (!isPlainObject(body)) throw new InvalidSyntaxError('PATCH body must be a JSON object');
  const urns = getOwnCi(body, 'schemas');
  if (
    !Array.isArray(urns) ||
    !urns.some((u) => typeof u === 'string' && u.toLowerCase() === PATCH_OP_URN.toLowerCase())
  ) {
    throw new InvalidSyntaxError(`"schemas" must contain ${PATCH_OP_URN}`);
  }
  const ops = getOwnCi(body, 'Operations');
  if (!Array.isArray(ops) || ops.length === 0)
    throw new InvalidSyntaxError('"Operations" must be a non-empty array');
  const max = options.maxOperations ?? LIMITS.maxPatchOperations;
  if (ops.length > max) throw new PayloadTooLargeError(`At most ${max} PATCH operations per request`);

  const out: NormalisedOperation[] = [];
  ops.forEach((raw, index) => {
    for (const op of normaliseOne(raw, index, schemas, dialect)) out.push(op);
  });
  if (out.length > max * 10) throw new PayloadTooLargeError('PATCH expands to too many operations');
  return out;
}

function normaliseOne(
  raw: unknown,
  index: number,
  schemas: ResourceTypeSchemas,
  dialect: PatchDialect,
): NormalisedOperation[] {
  const at = `Operations[${index}]`;
  if (!isPlainObject(raw)) throw new InvalidSyntaxError(`${at} must be a JSON object`);
  const opRaw = getOwnCi(raw, 'op');
  // Entra sends "Add"/"Replace"/"Remove"; RFC 7644 spells them in lower case.
  const opText = typeof opRaw === 'string' && dialect !== 'rfc' ? opRaw.toLowerCase() : opRaw;
  if (typeof opText !== 'string' || !(OPS as readonly string[]).includes(opText)) {
    throw new InvalidSyntaxError(`${at}.op must be "add", "remove" or "replace", got ${quote(opRaw)}`);
  }
  const op = opText as PatchOpName;
  const pathRaw = getOwnCi(raw, 'path');
  let path: PatchPath | undefined;
  if (pathRaw !== undefined && pathRaw !== null && !(pathRaw === '' && dialect !== 'rfc')) {
    if (typeof pathRaw !== 'string') throw new InvalidSyntaxError(`${at}.path must be a string`);
    path = parsePath(pathRaw);
  }
  const hasValue = Object.keys(raw).some((k) => k.toLowerCase() === 'value');
  let value = getOwnCi(raw, 'value');

  if (op === 'remove') {
    if (dialect === 'entra' && path && !path.filter && value !== undefined && value !== null) {
      return entraMemberRemoval(path, value, index, schemas);
    }
    if (value !== undefined && value !== null) {
      // Ignoring it would turn "remove these members" into "remove all members".
      throw new InvalidSyntaxError(`${at}: remove takes no "value"; select values with a filter in "path"`);
    }
    const ignoreNoTarget = dialect === 'okta' && path?.filter !== undefined;
    return [{ op, index, ...(path ? { path } : {}), ...(ignoreNoTarget ? { ignoreNoTarget } : {}) }];
  }

  if (!hasValue) throw new InvalidSyntaxError(`${at}: ${op} needs a "value"`);
  if (dialect !== 'rfc') value = coerceForTarget(value, path, schemas, dialect);
  const upsert = dialect === 'entra' && op === 'replace' && path?.filter !== undefined;

  if (!path && dialect !== 'rfc' && isPlainObject(value)) {
    return splitPathLessValue(op, value, index, schemas, dialect);
  }
  return [{ op, index, ...(path ? { path } : {}), value, ...(upsert ? { upsert } : {}) }];
}

/**
 * Entra: `{"op":"Remove","path":"members","value":[{"value":"id"}]}` means "remove these
 * members", not "remove all members". Becomes one `members[value eq "id"]` remove each.
 */
function entraMemberRemoval(
  path: PatchPath,
  value: unknown,
  index: number,
  schemas: ResourceTypeSchemas,
): NormalisedOperation[] {
  const target = schemas.resolve(path.attrPath);
  const items = Array.isArray(value) ? value : [value];
  if (
    !target ||
    target.kind !== 'attribute' ||
    target.subAttribute ||
    !target.attribute.multiValued ||
    target.attribute.type !== 'complex' ||
    !items.every((i) => isPlainObject(i) && typeof getOwnCi(i, 'value') === 'string')
  ) {
    throw new InvalidSyntaxError(
      `Operations[${index}]: remove with a "value" is only understood for members-style lists`,
    );
  }
  return items.map((item) => ({
    op: 'remove' as const,
    index,
    ignoreNoTarget: true,
    path: {
      attrPath: path.attrPath,
      filter: {
        kind: 'compare' as const,
        path: { attr: 'value' },
        op: 'eq' as const,
        value: getOwnCi(item as JsonObject, 'value') as string,
      },
    },
  }));
}

/**
 * Entra and Okta send path-less values keyed by dotted or URN-qualified paths
 * (`{"name.givenName": "X", "urn:...:enterprise:2.0:User:department": "Y"}`) and Okta echoes
 * `id`. Split into one operation per key; an attribute name can never contain "." or ":",
 * so the rewrite cannot change the meaning of an RFC request.
 */
function splitPathLessValue(
  op: PatchOpName,
  value: JsonObject,
  index: number,
  schemas: ResourceTypeSchemas,
  dialect: PatchDialect,
): NormalisedOperation[] {
  const plain: JsonObject = {};
  const out: NormalisedOperation[] = [];
  for (const key of Object.keys(value)) {
    if (dialect === 'okta' && key.toLowerCase() === 'id') continue;
    const isExtensionKey = schemas.findSchema(key)?.extension === true;
    if (!isExtensionKey && (key.includes('.') || key.includes(':'))) {
      const path = parsePath(key);
      out.push({ op, index, path, value: coerceForTarget(value[key], path, schemas, dialect) });
    } else {
      setOwn(plain, key, value[key]);
    }
  }
  if (Object.keys(plain).length > 0 || out.length === 0) out.unshift({ op, index, value: plain });
  return out;
}

/** Entra string booleans ("True"/"False") and bare ids for complex attributes (`manager: "id"`). */
function coerceForTarget(
  value: unknown,
  path: PatchPath | undefined,
  schemas: ResourceTypeSchemas,
  dialect: PatchDialect,
): unknown {
  if (dialect !== 'entra') return value;
  if (!path) {
    if (!isPlainObject(value)) return value;
    const out: JsonObject = {};
    for (const key of Object.keys(value)) {
      const ext = schemas.findSchema(key);
      if (ext?.extension && isPlainObject(value[key])) {
        const inner: JsonObject = {};
        const body = value[key] as JsonObject;
        for (const k of Object.keys(body)) {
          const attr = schemas.findAttribute(ext, k);
          setOwn(inner, k, attr ? coerceAttribute(attr, body[k]) : body[k]);
        }
        setOwn(out, key, inner);
      } else {
        const attr = schemas.findAttribute(schemas.core, key);
        setOwn(out, key, attr ? coerceAttribute(attr, value[key]) : value[key]);
      }
    }
    return out;
  }
  const target = schemas.resolve(path.attrPath);
  if (!target || target.kind !== 'attribute') return value;
  const subName = target.subAttribute?.name ?? path.subAttr;
  if (subName !== undefined && target.attribute.type === 'complex') {
    const sub = findSubAttribute(target.attribute, subName);
    return sub ? coerceSimple(sub, value) : value;
  }
  if (path.filter && target.attribute.type === 'complex') return coerceElement(target.attribute, value);
  return coerceAttribute(target.attribute, value);
}

function coerceAttribute(attr: AttributeDefinition, value: unknown): unknown {
  if (attr.type !== 'complex') {
    return attr.multiValued && Array.isArray(value)
      ? value.map((v) => coerceSimple(attr, v))
      : coerceSimple(attr, value);
  }
  if (attr.multiValued)
    return Array.isArray(value) ? value.map((v) => coerceElement(attr, v)) : coerceElement(attr, value);
  // `"manager": "26118915-6090-4610-87e4-49d8ca9f808d"` means `{"value": ...}`.
  if (typeof value === 'string' && findSubAttribute(attr, 'value')) return { value };
  return coerceElement(attr, value);
}

function coerceElement(attr: AttributeDefinition & { type: 'complex' }, value: unknown): unknown {
  if (!isPlainObject(value)) return value;
  const out: JsonObject = {};
  for (const k of Object.keys(value)) {
    const sub = findSubAttribute(attr, k);
    setOwn(out, k, sub ? coerceSimple(sub, value[k]) : value[k]);
  }
  return out;
}

function coerceSimple(attr: SimpleAttribute | AttributeDefinition, value: unknown): unknown {
  if (attr.type === 'boolean' && typeof value === 'string') {
    const lower = value.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
    throw new InvalidValueError(`${attr.name} must be a boolean, got ${quote(value)}`);
  }
  return value;
}
