import { DEVICE_RESOURCE_TYPE, DEVICE_SCHEMA } from './device-schema';
import {
  ENTERPRISE_USER_SCHEMA,
  GROUP_RESOURCE_TYPE,
  GROUP_SCHEMA,
  USER_RESOURCE_TYPE,
  USER_SCHEMA,
} from './core-schemas';
import { SchemaRegistry } from './schema.registry';

/** A stored per-tenant definition: a schema (keyed by URN) or a resource type (keyed by name). */
export interface StoredDefinition {
  kind: 'schema' | 'resourceType' | string;
  key: string;
  definition: unknown;
}

export interface TenantRegistryOptions {
  /** Throw on the first invalid definition (admin validation) instead of skipping it. */
  strict?: boolean;
  /** Told about each definition skipped in lenient mode (a tenant's server must not go down for one). */
  onSkip?: (definition: string, error: Error) => void;
}

/**
 * A tenant's registry: the built-ins (User, Group, EnterpriseUser, Device) plus its stored
 * schemas and resource types. A stored resource type named like a built-in only adds schema
 * extensions to it (ADR 0301).
 */
export function buildTenantRegistry(
  rows: readonly StoredDefinition[],
  options: TenantRegistryOptions = {},
): SchemaRegistry {
  const registry = new SchemaRegistry();
  for (const schema of [USER_SCHEMA, GROUP_SCHEMA, ENTERPRISE_USER_SCHEMA, DEVICE_SCHEMA])
    registry.registerSchema(schema);
  const guard = (what: string, fn: () => void) => {
    try {
      fn();
    } catch (error) {
      if (options.strict) throw error;
      options.onSkip?.(what, error as Error);
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
      if (options.strict) throw error;
      options.onSkip?.(builtIn.name, error as Error);
      registry.registerResourceType(builtIn);
    }
  }
  for (const [name, definition] of overrides) guard(name, () => registry.registerResourceType(definition));
  return registry;
}
