import type { ResourceTypeSchemas } from '../schema/resource-type-schemas';
import { toScimError } from '../errors/scim-error';
import type { JsonObject } from '../util/json.util';
import { applyPatch } from './patch.applier';
import { normalisePatch, type NormaliseOptions } from './patch.normaliser';
import { validatePatch } from './patch.validator';

export type PatchOptions = NormaliseOptions;

/**
 * RFC 7644 §3.5.2 PATCH: normalise (dialect) → validate (schema) → apply (copy).
 * Returns the new resource; the input is untouched whatever happens. Only ScimErrors escape.
 */
export function patchResource(
  resource: JsonObject,
  body: unknown,
  schemas: ResourceTypeSchemas,
  options: PatchOptions = {},
): JsonObject {
  try {
    const normalised = normalisePatch(body, schemas, options);
    const validated = validatePatch(normalised, schemas);
    return applyPatch(resource, validated);
  } catch (e) {
    throw toScimError(e);
  }
}
