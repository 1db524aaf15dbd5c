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
  type ResourceTypeSchemas,
} from '@hub/scim';
import { ScimDefinitionRepository, type ScimDefinitionRecord, type TenantId } from '@hub/persistence';

const CACHE_TTL_MS = 5_000;
const MAX_CACHED = 1_000;

/**
 * A tenant's schema registry for the engine (API and worker alike): the built-ins plus the
 * tenant's stored definitions, built the way the SCIM server builds it (ADR 0301), cached a few
 * seconds. Invalid stored definitions are skipped, as the SCIM server does.
 */
@Injectable()
export class TenantSchemas {
  private readonly logger = new Logger(TenantSchemas.name);
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

  /**
   * The type's schemas. `attributes` (a write's) are checked against the cached copy: a name it
   * does not know means the tenant changed its definitions meanwhile, so they are read again
   * (the SCIM server validated the write with a fresh registry; the engine must not drop it).
   */
  async view(
    tenantId: TenantId,
    resourceType: string,
    attributes?: Readonly<Record<string, unknown>>,
  ): Promise<ResourceTypeSchemas> {
    try {
      const view = (await this.registry(tenantId)).resourceType(resourceType);
      if (!attributes || knowsAll(view, attributes)) return view;
    } catch {
      // Unknown type: perhaps defined a moment ago.
    }
    this.forget(tenantId);
    return (await this.registry(tenantId)).resourceType(resourceType);
  }

  forget(tenantId: TenantId): void {
    this.cache.delete(tenantId);
  }

  private build(rows: readonly ScimDefinitionRecord[]): SchemaRegistry {
    const registry = new SchemaRegistry();
    for (const schema of [USER_SCHEMA, GROUP_SCHEMA, ENTERPRISE_USER_SCHEMA, DEVICE_SCHEMA])
      registry.registerSchema(schema);
    const guard = (what: string, fn: () => void) => {
      try {
        fn();
      } catch (error) {
        this.logger.warn(
          { err: (error as Error).message, definition: what },
          'stored SCIM definition skipped',
        );
      }
    };
    for (const row of rows)
      if (row.kind === 'schema') guard(row.key, () => registry.registerSchema(row.definition));
    const overrides = new Map(
      rows.filter((r) => r.kind === 'resourceType').map((r) => [r.key.toLowerCase(), r.definition]),
    );
    for (const builtIn of [USER_RESOURCE_TYPE, GROUP_RESOURCE_TYPE, DEVICE_RESOURCE_TYPE]) {
      const extra = overrides.get(builtIn.name.toLowerCase());
      overrides.delete(builtIn.name.toLowerCase());
      const extensions = [...builtIn.schemaExtensions];
      const raw = (extra as { schemaExtensions?: unknown } | undefined)?.schemaExtensions;
      if (Array.isArray(raw))
        for (const e of raw as Array<{ schema?: unknown; required?: unknown }>) {
          if (typeof e?.schema !== 'string') continue;
          if (extensions.some((x) => x.schema.toLowerCase() === (e.schema as string).toLowerCase())) continue;
          extensions.push({ schema: e.schema, required: e.required === true });
        }
      try {
        registry.registerResourceType({ ...builtIn, schemaExtensions: extensions });
      } catch {
        registry.registerResourceType(builtIn);
      }
    }
    for (const [name, definition] of overrides) guard(name, () => registry.registerResourceType(definition));
    return registry;
  }
}

/** Whether every top-level attribute name is in the view (core or an extension URN). */
export function knowsAll(view: ResourceTypeSchemas, attributes: Readonly<Record<string, unknown>>): boolean {
  for (const key of Object.keys(attributes)) {
    if (key === 'schemas' || key === 'id' || key === 'meta' || key === 'externalId') continue;
    if (key.includes(':') ? !view.findSchema(key) : !view.findAttribute(view.core, key)) return false;
  }
  return true;
}
