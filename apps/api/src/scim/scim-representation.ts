import {
  formatETag,
  projectResource,
  type ProjectionOptions,
  type ResourceTypeSchemas,
  type SchemaRegistry,
} from '@hub/scim';
import type { GoldenRecord } from '@hub/persistence';

/** Where resources live: `<public base>/scim/v2`. */
export interface Locations {
  base: string;
}

export function resourceLocation(locations: Locations, view: ResourceTypeSchemas, id: string): string {
  return `${locations.base}${view.resourceType.endpoint}/${id}`;
}

export function etagOf(record: Pick<GoldenRecord, 'version'>): string {
  return formatETag(record.version);
}

/**
 * The SCIM representation of a golden record (RFC 7643 §3.1): `schemas`, `id`, the caller's own
 * `externalId`, the stored attributes, derived `groups`, `$ref` on members, and `meta`; then
 * shaped by `attributes`/`excludedAttributes` and `returned` (libs/scim projection).
 */
export function toRepresentation(
  record: GoldenRecord,
  view: ResourceTypeSchemas,
  registry: SchemaRegistry,
  locations: Locations,
  options: ProjectionOptions & { groups?: Array<{ id: string; display: string | null }> },
): Record<string, unknown> {
  const { schemas, ...attributes } = record.attributes as { schemas?: unknown } & Record<string, unknown>;
  const out: Record<string, unknown> = {
    schemas: Array.isArray(schemas) ? schemas : [view.core.definition.id],
    id: record.id,
    ...(record.externalId !== null ? { externalId: record.externalId } : {}),
  };
  // JSONB keeps keys in its own order; answer in the schema's order, which people read more easily.
  const keys = [
    ...view.coreAttributes.map((a) => a.name),
    ...view.extensions.map((e) => e.definition.id),
  ].filter((k) => k in attributes);
  for (const key of new Set([...keys, ...Object.keys(attributes)])) {
    const value = attributes[key];
    if (key === 'members' && Array.isArray(value))
      out.members = value.map((m) => withRef(m, registry, locations));
    else out[key] = value;
  }
  if (options.groups && options.groups.length > 0) {
    const groupEndpoint = endpointOf(registry, 'Group');
    out.groups = options.groups.map((g) => ({
      value: g.id,
      $ref: `${locations.base}${groupEndpoint}/${g.id}`,
      ...(g.display !== null ? { display: g.display } : {}),
      type: 'direct',
    }));
  }
  out.meta = {
    resourceType: view.name,
    created: record.createdAt.toISOString(),
    lastModified: record.updatedAt.toISOString(),
    location: resourceLocation(locations, view, record.id),
    version: etagOf(record),
  };
  return projectResource(out, view, options);
}

/** Whether a response shaped by these options would show `groups` (to skip the lookup when not). */
export function wantsGroups(view: ResourceTypeSchemas, options: ProjectionOptions): boolean {
  // Most requests shape nothing: the answer per type is then fixed (registries are rebuilt, not mutated).
  if (!options.attributes?.length && !options.excludedAttributes?.length) {
    let known = defaultGroups.get(view);
    if (known === undefined) {
      known = probeGroups(view, {});
      defaultGroups.set(view, known);
    }
    return known;
  }
  return probeGroups(view, options);
}

const defaultGroups = new WeakMap<ResourceTypeSchemas, boolean>();

function probeGroups(view: ResourceTypeSchemas, options: ProjectionOptions): boolean {
  const attr = view.findAttribute(view.core, 'groups');
  if (!attr || attr.mutability !== 'readOnly') return false;
  const probe = projectResource(
    { schemas: [view.core.definition.id], id: 'x', groups: [{ value: 'x', display: 'x' }] },
    view,
    options,
  );
  return probe.groups !== undefined;
}

function withRef(member: unknown, registry: SchemaRegistry, locations: Locations): unknown {
  if (member === null || typeof member !== 'object' || Array.isArray(member)) return member;
  const m = member as { value?: unknown; type?: unknown };
  if (typeof m.value !== 'string' || typeof m.type !== 'string') return member;
  const endpoint = endpointOf(registry, m.type);
  return endpoint ? { ...m, $ref: `${locations.base}${endpoint}/${m.value}` } : member;
}

function endpointOf(registry: SchemaRegistry, typeName: string): string | undefined {
  try {
    return registry.resourceType(typeName).resourceType.endpoint;
  } catch {
    return undefined;
  }
}
