import { Injectable } from '@nestjs/common';
import { TenantSchemas } from '@hub/aggregation';
import {
  DEVICE_RESOURCE_TYPE,
  DEVICE_SCHEMA,
  ENTERPRISE_USER_SCHEMA,
  GROUP_RESOURCE_TYPE,
  GROUP_SCHEMA,
  buildTenantRegistry,
  type SchemaRegistry,
  USER_RESOURCE_TYPE,
  USER_SCHEMA,
  type ResourceTypeDefinition,
  type SchemaDefinition,
} from '@hub/scim';
import type { ScimDefinitionRecord, TenantId } from '@hub/persistence';

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

/**
 * The SCIM server's view of a tenant's schemas: the shared per-tenant registry cache
 * (`TenantSchemas`, also used by the engine, so both see the same definitions and a change
 * forgets one copy) plus strict building for admin validation.
 */
@Injectable()
export class ScimSchemaService {
  constructor(private readonly schemas: TenantSchemas) {}

  registry(tenantId: TenantId): Promise<SchemaRegistry> {
    return this.schemas.registry(tenantId);
  }

  forget(tenantId: TenantId): void {
    this.schemas.forget(tenantId);
  }

  /** Builds a registry from stored rows; throws on an invalid definition (admin validation uses this). */
  buildStrict(rows: readonly Pick<ScimDefinitionRecord, 'kind' | 'key' | 'definition'>[]): SchemaRegistry {
    return buildTenantRegistry(rows, { strict: true });
  }
}
