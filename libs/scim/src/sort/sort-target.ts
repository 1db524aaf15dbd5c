import { InvalidValueError, ScimError } from '../errors/scim-error';
import { parseAttrPath } from '../filter/filter.parser';
import { findSubAttribute, type ResourceTypeSchemas } from '../schema/resource-type-schemas';
import {
  isCaseExact,
  type AttributeDefinition,
  type AttributeType,
  type SchemaDefinition,
  type SimpleAttribute,
} from '../schema/schema.types';

/** What `sortBy` names, resolved once for the in-memory comparator and the SQL translator alike. */
export interface SortTarget {
  schema: SchemaDefinition;
  extension: boolean;
  attribute: AttributeDefinition;
  /** The sub-attribute sorted by, if any (complex attributes sort by `value`). */
  subAttribute: SimpleAttribute | undefined;
  type: AttributeType;
  caseExact: boolean;
}

/**
 * Resolves `sortBy` (RFC 7644 §3.4.2.3): complex attributes sort by their `value` sub-attribute;
 * a complex leaf, or an attribute never returned or write-only, cannot be sorted by.
 */
export function resolveSortTarget(sortBy: string, schemas: ResourceTypeSchemas): SortTarget {
  let target;
  try {
    target = schemas.resolve(parseAttrPath(sortBy));
  } catch (e) {
    if (e instanceof ScimError)
      throw new InvalidValueError(`sortBy is not a valid attribute path: ${e.message}`);
    throw e;
  }
  if (!target || target.kind !== 'attribute')
    throw new InvalidValueError('sortBy names no attribute of this resource type');
  const { attribute } = target;
  let sub = target.subAttribute;
  if (!sub && attribute.type === 'complex') sub = findSubAttribute(attribute, 'value');
  const effective = sub ?? attribute;
  if (effective.type === 'complex' || effective.returned === 'never' || effective.mutability === 'writeOnly')
    throw new InvalidValueError(`Cannot sort by ${attribute.name}`);
  return {
    schema: target.schema.definition,
    extension: target.schema.extension,
    attribute,
    subAttribute: sub,
    type: effective.type,
    caseExact: isCaseExact(effective),
  };
}
