import { Injectable, Logger } from '@nestjs/common';
import { buildTenantRegistry, type ResourceTypeSchemas, type SchemaRegistry } from '@hub/scim';
import { ScimDefinitionRepository, type ScimDefinitionRecord, type TenantId } from '@hub/persistence';

const CACHE_TTL_MS = 5_000;
const MAX_CACHED = 1_000;

/**
 * A tenant's schema registry (SCIM server and engine, API and worker alike): the built-ins plus
 * the tenant's stored definitions (`buildTenantRegistry`, ADR 0301), cached a few seconds per
 * replica; the replica that changes a definition forgets its copy at once. Invalid stored
 * definitions are skipped (logged), so one bad definition does not take a tenant down.
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
    return buildTenantRegistry(rows, {
      onSkip: (definition, error) =>
        this.logger.warn({ err: error.message, definition }, 'stored SCIM definition skipped'),
    });
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
