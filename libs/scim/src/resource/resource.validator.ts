import { InvalidSyntaxError, InvalidValueError, MutabilityError } from '../errors/scim-error';
import type { ResourceTypeSchemas, SchemaView } from '../schema/resource-type-schemas';
import type { AttributeDefinition } from '../schema/schema.types';
import {
  findOwnKey,
  getOwnCi,
  isPlainObject,
  jsonEqual,
  quote,
  setOwn,
  type JsonObject,
} from '../util/json.util';
import { validateAttributeValue } from '../values/value.validator';

/**
 * What a body is for decides what is accepted (RFC 7643 §2.2, RFC 7644 §3.3 and §3.5.1):
 * - `create` (POST): readOnly attributes ignored, immutable ones accepted.
 * - `replace` (PUT): readOnly ignored; immutable must match the existing value when there is one.
 * Responses are shaped by projection (`projectResource`), not here.
 */
export type RequestContext = 'create' | 'replace';

export interface ValidateResourceOptions {
  readonly context: RequestContext;
  /** The stored resource, required for `replace` (immutable checks). */
  readonly existing?: JsonObject;
}

/**
 * Validates a POST/PUT body against its resource type and returns a new resource in canonical
 * form: attribute names spelled as in the schema, unassigned values dropped, readOnly input
 * (id, meta, groups...) left out, `schemas` listing the core schema and the extensions present.
 * The caller adds id and meta.
 */
export function validateResource(
  input: unknown,
  schemas: ResourceTypeSchemas,
  options: ValidateResourceOptions,
): JsonObject {
  if (!isPlainObject(input)) throw new InvalidSyntaxError('The resource must be a JSON object');
  const listed = readSchemas(input, schemas);
  const existing = options.context === 'replace' ? options.existing : undefined;
  const out: JsonObject = {};
  const extensionsOut = new Map<SchemaView, JsonObject>();
  const seen = new Set<string>();

  for (const key of Object.keys(input)) {
    const lower = key.toLowerCase();
    if (lower === 'schemas') continue;
    if (seen.has(lower)) throw new InvalidSyntaxError(`Attribute ${quote(key)} is given more than once`);
    seen.add(lower);
    const extension = key.includes(':') ? schemas.findSchema(key) : undefined;
    if (extension) {
      if (!extension.extension)
        throw new InvalidSyntaxError(`Core attributes are not nested under ${quote(key)}`);
      if (!listed.has(extension.definition.id)) {
        throw new InvalidSyntaxError(
          `Extension ${quote(extension.definition.id)} is present but not listed in "schemas"`,
        );
      }
      const body = input[key];
      if (body === null) continue;
      if (!isPlainObject(body)) throw new InvalidValueError(`${extension.definition.id} must be an object`);
      const prior = existing ? getOwnCi(existing, extension.definition.id) : undefined;
      const ext = validateAttributes(
        body,
        schemas,
        extension,
        isPlainObject(prior) ? prior : undefined,
        options.context,
      );
      if (Object.keys(ext).length > 0) extensionsOut.set(extension, ext);
      continue;
    }
    const attr = schemas.findAttribute(schemas.core, key);
    if (!attr) throw new InvalidSyntaxError(`Unknown attribute ${quote(key)} for ${schemas.name}`);
    acceptAttribute(out, attr, input[key], existing, options.context, attr.name);
  }

  carryImmutable(out, schemas.coreAttributes, existing);
  checkRequired(out, schemas.coreAttributes, schemas.name);
  for (const view of schemas.extensions) {
    let ext = extensionsOut.get(view);
    const prior = existing ? getOwnCi(existing, view.definition.id) : undefined;
    if (!ext && isPlainObject(prior)) {
      const kept: JsonObject = {};
      carryImmutable(kept, view.definition.attributes, prior);
      if (Object.keys(kept).length > 0) extensionsOut.set(view, (ext = kept));
    }
    if (!ext) {
      if (view.required) throw new InvalidValueError(`Extension ${quote(view.definition.id)} is required`);
      continue;
    }
    checkRequired(ext, view.definition.attributes, view.definition.id);
  }

  const result: JsonObject = { schemas: [schemas.core.definition.id] };
  for (const view of schemas.extensions)
    if (extensionsOut.has(view)) (result.schemas as string[]).push(view.definition.id);
  for (const key of Object.keys(out)) setOwn(result, key, out[key]);
  for (const [view, ext] of extensionsOut) setOwn(result, view.definition.id, ext);
  return result;
}

function readSchemas(input: JsonObject, schemas: ResourceTypeSchemas): Set<string> {
  const raw = getOwnCi(input, 'schemas');
  if (!Array.isArray(raw) || raw.length === 0)
    throw new InvalidSyntaxError('"schemas" is required and must be a non-empty array');
  const listed = new Set<string>();
  for (const urn of raw) {
    if (typeof urn !== 'string') throw new InvalidValueError('"schemas" must contain strings');
    const view = schemas.findSchema(urn);
    if (!view)
      throw new InvalidValueError(`Schema ${quote(urn)} is not part of resource type ${schemas.name}`);
    listed.add(view.definition.id);
  }
  if (!listed.has(schemas.core.definition.id)) {
    throw new InvalidValueError(`"schemas" must include ${schemas.core.definition.id}`);
  }
  return listed;
}

function validateAttributes(
  body: JsonObject,
  schemas: ResourceTypeSchemas,
  view: SchemaView,
  existing: JsonObject | undefined,
  context: RequestContext,
): JsonObject {
  const out: JsonObject = {};
  const seen = new Set<string>();
  for (const key of Object.keys(body)) {
    const attr = schemas.findAttribute(view, key);
    if (!attr) throw new InvalidSyntaxError(`Unknown attribute ${quote(key)} in ${view.definition.id}`);
    if (seen.has(attr.name)) throw new InvalidSyntaxError(`Attribute ${quote(key)} is given more than once`);
    seen.add(attr.name);
    acceptAttribute(out, attr, body[key], existing, context, `${view.definition.id}:${attr.name}`);
  }
  return out;
}

function acceptAttribute(
  out: JsonObject,
  attr: AttributeDefinition,
  raw: unknown,
  existing: JsonObject | undefined,
  context: RequestContext,
  where: string,
): void {
  // RFC 7644 §3.3/§3.5.1: values of readOnly attributes in a request SHALL be ignored.
  if (attr.mutability === 'readOnly') return;
  const value = validateAttributeValue(attr, raw, { where, dropReadOnly: true });
  if (attr.mutability === 'immutable' && context === 'replace' && existing) {
    const prior = getOwnCi(existing, attr.name);
    if (prior !== undefined && prior !== null && !jsonEqual(prior, value)) {
      throw new MutabilityError(`${where} is immutable and cannot be changed`);
    }
  }
  if (value !== undefined) setOwn(out, attr.name, value);
}

/** An immutable value cannot be cleared by leaving it out of a PUT body. */
function carryImmutable(
  out: JsonObject,
  attrs: readonly AttributeDefinition[],
  existing: JsonObject | undefined,
): void {
  if (!existing) return;
  for (const attr of attrs) {
    if (attr.mutability !== 'immutable' || findOwnKey(out, attr.name) !== undefined) continue;
    const prior = getOwnCi(existing, attr.name);
    if (prior !== undefined && prior !== null) setOwn(out, attr.name, prior);
  }
}

function checkRequired(out: JsonObject, attrs: readonly AttributeDefinition[], where: string): void {
  for (const attr of attrs) {
    // readOnly required attributes (id, schemas) are the server's to set.
    if (!attr.required || attr.mutability === 'readOnly') continue;
    if (!Object.prototype.hasOwnProperty.call(out, attr.name)) {
      throw new InvalidValueError(`${attr.name} is required for ${where}`);
    }
  }
}
