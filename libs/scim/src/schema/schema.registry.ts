import { ConflictError, InvalidValueError, NotFoundError, UniquenessError } from '../errors/scim-error';
import { quote } from '../util/json.util';
import {
  ENTERPRISE_USER_SCHEMA,
  GROUP_RESOURCE_TYPE,
  GROUP_SCHEMA,
  USER_RESOURCE_TYPE,
  USER_SCHEMA,
} from './core-schemas';
import { DEVICE_RESOURCE_TYPE, DEVICE_SCHEMA } from './device-schema';
import { ResourceTypeSchemas } from './resource-type-schemas';
import { parseResourceTypeDefinition, parseSchemaDefinition } from './schema.parser';
import type { ResourceTypeDefinition, SchemaDefinition } from './schema.types';

export interface BuiltInOptions {
  /** Ship RFC 9944's Device resource type (default true). */
  device?: boolean;
}

/**
 * The schemas and resource types of one tenant. Built-ins and admin-defined definitions go
 * through the same parser, so they are validated, served and resolved the same way.
 * Not shared between tenants: build one per tenant from the stored definitions.
 */
export class SchemaRegistry {
  private readonly schemas = new Map<string, SchemaDefinition>();
  private readonly types = new Map<string, ResourceTypeDefinition>();
  private readonly views = new Map<string, ResourceTypeSchemas>();
  private readonly builtIns = new Set<string>();

  static withBuiltIns(options: BuiltInOptions = {}): SchemaRegistry {
    const registry = new SchemaRegistry();
    const schemas = [USER_SCHEMA, GROUP_SCHEMA, ENTERPRISE_USER_SCHEMA];
    const types = [USER_RESOURCE_TYPE, GROUP_RESOURCE_TYPE];
    if (options.device ?? true) {
      schemas.push(DEVICE_SCHEMA);
      types.push(DEVICE_RESOURCE_TYPE);
    }
    for (const s of schemas) registry.registerSchema(s);
    for (const t of types) registry.registerResourceType(t);
    for (const s of schemas) registry.builtIns.add(`schema:${s.id.toLowerCase()}`);
    for (const t of types) registry.builtIns.add(`type:${t.name.toLowerCase()}`);
    return registry;
  }

  /** Adds or replaces a schema. Built-in schemas cannot be replaced. */
  registerSchema(input: unknown): SchemaDefinition {
    const def = parseSchemaDefinition(input);
    const key = def.id.toLowerCase();
    if (this.builtIns.has(`schema:${key}`))
      throw new ConflictError(`Schema ${quote(def.id)} is built in and cannot be replaced`);
    this.schemas.set(key, def);
    this.views.clear();
    return def;
  }

  /** Adds or replaces a resource type; its schemas must be registered first. */
  registerResourceType(input: unknown): ResourceTypeDefinition {
    const def = parseResourceTypeDefinition(input);
    const key = def.name.toLowerCase();
    if (this.builtIns.has(`type:${key}`))
      throw new ConflictError(`Resource type ${quote(def.name)} is built in`);
    for (const urn of [def.schema, ...def.schemaExtensions.map((e) => e.schema)]) {
      if (!this.schemas.has(urn.toLowerCase()))
        throw new InvalidValueError(`Schema ${quote(urn)} is not registered`);
    }
    for (const other of this.types.values()) {
      if (other.name.toLowerCase() === key) continue;
      if (
        other.endpoint.toLowerCase() === def.endpoint.toLowerCase() ||
        other.id.toLowerCase() === def.id.toLowerCase()
      ) {
        throw new UniquenessError(
          `Endpoint ${quote(def.endpoint)} or id ${quote(def.id)} is already used by ${quote(other.name)}`,
        );
      }
    }
    this.types.set(key, def);
    this.views.delete(key);
    return def;
  }

  /** Removes an admin-defined schema that no resource type uses. */
  removeSchema(urn: string): void {
    const key = urn.toLowerCase();
    if (this.builtIns.has(`schema:${key}`)) throw new ConflictError(`Schema ${quote(urn)} is built in`);
    if (!this.schemas.has(key)) throw new NotFoundError(`Schema ${quote(urn)} not found`);
    for (const t of this.types.values()) {
      if ([t.schema, ...t.schemaExtensions.map((e) => e.schema)].some((s) => s.toLowerCase() === key)) {
        throw new ConflictError(`Schema ${quote(urn)} is used by resource type ${quote(t.name)}`);
      }
    }
    this.schemas.delete(key);
  }

  removeResourceType(name: string): void {
    const key = name.toLowerCase();
    if (this.builtIns.has(`type:${key}`)) throw new ConflictError(`Resource type ${quote(name)} is built in`);
    if (!this.types.delete(key)) throw new NotFoundError(`Resource type ${quote(name)} not found`);
    this.views.delete(key);
  }

  getSchema(urn: string): SchemaDefinition | undefined {
    return this.schemas.get(urn.toLowerCase());
  }

  listSchemas(): SchemaDefinition[] {
    return [...this.schemas.values()];
  }

  listResourceTypes(): ResourceTypeDefinition[] {
    return [...this.types.values()];
  }

  isBuiltIn(kind: 'schema' | 'type', idOrName: string): boolean {
    return this.builtIns.has(`${kind}:${idOrName.toLowerCase()}`);
  }

  /** The indexed view used by validation, filters, PATCH, projection and sorting. */
  resourceType(name: string): ResourceTypeSchemas {
    const key = name.toLowerCase();
    const cached = this.views.get(key);
    if (cached) return cached;
    const def = this.types.get(key);
    if (!def) throw new NotFoundError(`Resource type ${quote(name)} not found`);
    const view = new ResourceTypeSchemas(
      def,
      this.mustGet(def.schema),
      def.schemaExtensions.map((e) => ({ definition: this.mustGet(e.schema), required: e.required })),
    );
    this.views.set(key, view);
    return view;
  }

  resourceTypeByEndpoint(endpoint: string): ResourceTypeSchemas {
    const wanted = endpoint.toLowerCase();
    for (const t of this.types.values())
      if (t.endpoint.toLowerCase() === wanted) return this.resourceType(t.name);
    throw new NotFoundError(`No resource type at ${quote(endpoint)}`);
  }

  private mustGet(urn: string): SchemaDefinition {
    const s = this.schemas.get(urn.toLowerCase());
    if (!s) throw new NotFoundError(`Schema ${quote(urn)} not found`);
    return s;
  }
}
