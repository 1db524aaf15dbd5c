import { Injectable, Logger } from '@nestjs/common';
import {
  DEVICE_RESOURCE_TYPE,
  DEVICE_SCHEMA,
  ENTERPRISE_USER_SCHEMA,
  GROUP_RESOURCE_TYPE,
  GROUP_SCHEMA,
  SchemaRegistry,
  USER_RESOURCE_TYPE,
  USER_SCHEMA,
  type ResourceTypeDefinition,
  type SchemaDefinition,
} from '@hub/scim';
import { ScimDefinitionRepository, type ScimDefinitionRecord, type TenantId } from '@hub/persistence';

export const BUILT_IN_SCHEMAS: readonly SchemaDefinition[] = [
  USER_SCHEMA,
  GROUP_SCHEMA,
  ENTERPRISE_USER_SCHEMA,
  DEVICE_SCHEMA,
];
export const BUILT_IN_TYPES: readonly ResourceTypeDefinition[] = [
  USER_RESOURCE_TYPE,
  GROUP_RESOURCE_TYPE,
  DEVICE_RESOURCE_TYPE,
];
/** Endpoints the server itself serves: no resource type may take them. */
export const RESERVED_ENDPOINTS = [
  '/me',
  '/bulk',
  '/schemas',
  '/resourcetypes',
  '/serviceproviderconfig',
  '/.search',
];

/** How long a replica reuses a tenant's registry before reading its definitions again. */
const CACHE_TTL_MS = 5_000;
const MAX_CACHED = 1_000;

/**
 * One SchemaRegistry per tenant: the built-ins plus the tenant's stored schemas and resource
 * types, all through libs/scim's parser. A stored resource type named like a built-in only adds
 * schema extensions to it. Cached per replica for a few seconds; the replica that changes a
 * definition forgets its copy at once.
 */
@Injectable()
export class ScimSchemaService {
  private readonly logger = new Logger(ScimSchemaService.name);
  private readonly cache = new Map<string, { registry: Promise<SchemaRegistry>; until: number }>();

  constructor(private readonly definitions: ScimDefinitionRepository) {}

  registry(tenantId: TenantId): Promise<SchemaRegistry> {
    const now = Date.now();
    const hit = this.cache.get(tenantId);
    if (hit && hit.until > now) return hit.registry;
    const registry = this.definitions.list(tenantId).then((rows) => this.build(rows));
    if (this.cache.size >= MAX_CACHED) this.cache.clear();
    this.cache.set(tenantId, { registry, until: now + CACHE_TTL_MS });
    registry.catch(() => this.cache.delete(tenantId));
    return registry;
  }

  forget(tenantId: TenantId): void {
    this.cache.delete(tenantId);
  }

  /** Builds a registry from stored rows; throws on an invalid definition (admin validation uses this). */
  buildStrict(rows: readonly Pick<ScimDefinitionRecord, 'kind' | 'key' | 'definition'>[]): SchemaRegistry {
    return this.build(rows, true);
  }

  private build(
    rows: readonly Pick<ScimDefinitionRecord, 'kind' | 'key' | 'definition'>[],
    strict = false,
  ): SchemaRegistry {
    const registry = new SchemaRegistry();
    for (const schema of BUILT_IN_SCHEMAS) registry.registerSchema(schema);
    const guard = (what: string, fn: () => void) => {
      try {
        fn();
      } catch (error) {
        if (strict) throw error;
        // A definition that no longer validates must not take the tenant's SCIM server down.
        this.logger.warn(
          { err: (error as Error).message, definition: what },
          'stored SCIM definition skipped',
        );
      }
    };
    for (const row of rows) {
      if (row.kind === 'schema') guard(row.key, () => registry.registerSchema(row.definition));
    }
    const overrides = new Map(
      rows.filter((r) => r.kind === 'resourceType').map((r) => [r.key.toLowerCase(), r.definition]),
    );
    for (const builtIn of BUILT_IN_TYPES) {
      const extra = overrides.get(builtIn.name.toLowerCase());
      overrides.delete(builtIn.name.toLowerCase());
      const extensions = [...builtIn.schemaExtensions];
      const raw = (extra as { schemaExtensions?: unknown } | undefined)?.schemaExtensions;
      if (Array.isArray(raw)) {
        for (const e of raw as Array<{ schema?: unknown; required?: unknown }>) {
          if (typeof e?.schema !== 'string') continue;
          if (extensions.some((x) => x.schema.toLowerCase() === (e.schema as string).toLowerCase())) continue;
          extensions.push({ schema: e.schema, required: e.required === true });
        }
      }
      try {
        registry.registerResourceType({ ...builtIn, schemaExtensions: extensions });
      } catch (error) {
        if (strict) throw error;
        this.logger.warn(
          { err: (error as Error).message, definition: builtIn.name },
          'stored extensions skipped',
        );
        registry.registerResourceType(builtIn);
      }
    }
    for (const [name, definition] of overrides) guard(name, () => registry.registerResourceType(definition));
    return registry;
  }
}
