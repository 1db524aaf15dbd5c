import { RESOURCE_TYPE_URN, SCHEMA_URN } from '../constants';
import type { AttributeDefinition, ResourceTypeDefinition, SchemaDefinition } from './schema.types';

export interface RenderOptions {
  /** Base URL of the SCIM root, e.g. `https://hub.example.com/scim/v2/t1`; locations are relative without it. */
  readonly baseUrl?: string;
}

/** RFC 7643 §7 representation served at /Schemas/{id}. */
export function renderSchema(schema: SchemaDefinition, options: RenderOptions = {}): Record<string, unknown> {
  return {
    schemas: [SCHEMA_URN],
    id: schema.id,
    ...(schema.name !== undefined ? { name: schema.name } : {}),
    ...(schema.description !== undefined ? { description: schema.description } : {}),
    attributes: schema.attributes.map(renderAttribute),
    meta: { resourceType: 'Schema', location: `${options.baseUrl ?? ''}/Schemas/${schema.id}` },
  };
}

/** Every characteristic spelled out, defaults included, so clients need not know RFC 7643 §2.2. */
export function renderAttribute(attr: AttributeDefinition): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: attr.name,
    type: attr.type,
    multiValued: attr.multiValued,
    ...(attr.description !== undefined ? { description: attr.description } : {}),
    required: attr.required,
  };
  if (attr.type === 'complex') {
    out.subAttributes = attr.subAttributes.map(renderAttribute);
  } else {
    out.caseExact =
      attr.type === 'string' || attr.type === 'reference' || attr.type === 'binary' ? attr.caseExact : false;
  }
  if (attr.type === 'string' && attr.canonicalValues) out.canonicalValues = [...attr.canonicalValues];
  if (attr.type === 'reference') out.referenceTypes = [...attr.referenceTypes];
  out.mutability = attr.mutability;
  out.returned = attr.returned;
  out.uniqueness = attr.uniqueness;
  return out;
}

/** RFC 7643 §6 representation served at /ResourceTypes/{name}. */
export function renderResourceType(
  type: ResourceTypeDefinition,
  options: RenderOptions = {},
): Record<string, unknown> {
  return {
    schemas: [RESOURCE_TYPE_URN],
    id: type.id,
    name: type.name,
    endpoint: type.endpoint,
    ...(type.description !== undefined ? { description: type.description } : {}),
    schema: type.schema,
    schemaExtensions: type.schemaExtensions.map((e) => ({ schema: e.schema, required: e.required })),
    meta: { resourceType: 'ResourceType', location: `${options.baseUrl ?? ''}/ResourceTypes/${type.name}` },
  };
}
