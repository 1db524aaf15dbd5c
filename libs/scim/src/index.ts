// Public API of @hub/scim: the SCIM 2.0 protocol (RFC 7643, RFC 7644, RFC 9944) as pure functions.
export * from './constants';
export * from './errors/scim-error';

export type * from './schema/schema.types';
export { isCaseExact } from './schema/schema.types';
export {
  COMMON_ATTRIBUTES,
  USER_SCHEMA,
  GROUP_SCHEMA,
  ENTERPRISE_USER_SCHEMA,
  USER_RESOURCE_TYPE,
  GROUP_RESOURCE_TYPE,
} from './schema/core-schemas';
export { DEVICE_SCHEMA, DEVICE_RESOURCE_TYPE } from './schema/device-schema';
export { parseSchemaDefinition, parseResourceTypeDefinition, isSchemaUrn } from './schema/schema.parser';
export { SchemaRegistry, type BuiltInOptions } from './schema/schema.registry';
export {
  buildTenantRegistry,
  type StoredDefinition,
  type TenantRegistryOptions,
} from './schema/tenant-registry';
export {
  ResourceTypeSchemas,
  findSubAttribute,
  type SchemaView,
  type ResolvedTarget,
} from './schema/resource-type-schemas';
export {
  renderSchema,
  renderResourceType,
  renderAttribute,
  type RenderOptions,
} from './schema/schema.renderer';

export type { AttrPath, PatchPath } from './path/path.types';
export type * from './filter/filter.types';
export { COMPARE_OPS } from './filter/filter.types';
export { parseFilter, parsePath, parseAttrPath, type ParseOptions } from './filter/filter.parser';
export { printFilter, printPath, printAttrPath, printValue } from './filter/filter.printer';
export { validateFilter, validateValueFilter, isValidatedFilter } from './filter/filter.validator';
export { compileFilter, evaluateFilter, type FilterPredicate } from './filter/filter.evaluator';

export { parseDateTime, comparisonKey } from './values/value.compare';
export { validateAttributeValue } from './values/value.validator';
export {
  validateResource,
  type RequestContext,
  type ValidateResourceOptions,
} from './resource/resource.validator';

export type * from './patch/patch.types';
export { DEFAULT_PATCH_DIALECT } from './patch/patch.types';
export { normalisePatch, type NormaliseOptions } from './patch/patch.normaliser';
export { validatePatch } from './patch/patch.validator';
export { applyPatch } from './patch/patch.applier';
export { patchResource, type PatchOptions } from './patch/patch.pipeline';

export { projectResource, type ProjectionOptions } from './projection/attribute.projection';
export { resolveSortTarget, type SortTarget } from './sort/sort-target';
export { createSortComparator, sortResources, parseSortOrder, type SortOrder } from './sort/sort.comparator';
export {
  formatETag,
  parseETag,
  parseETagList,
  ifMatchPasses,
  ifNoneMatchPasses,
  assertIfMatch,
  type EntityTag,
} from './etag/etag';
export {
  buildListResponse,
  parsePagination,
  type ListResponse,
  type Pagination,
} from './messages/list-response';
export {
  parseBulkRequest,
  buildBulkResponse,
  type BulkMethod,
  type BulkOperation,
  type BulkRequest,
  type BulkResponse,
  type BulkResponseOperation,
} from './messages/bulk';
export type { JsonObject } from './util/json.util';
export { setOwn } from './util/json.util';
