/** Message and schema URNs from RFC 7643 §8.7 and RFC 7644 §3. */
export const USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_URN = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_USER_URN = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
/** RFC 9944 core Device schema. */
export const DEVICE_URN = 'urn:ietf:params:scim:schemas:core:2.0:Device';
export const SCHEMA_URN = 'urn:ietf:params:scim:schemas:core:2.0:Schema';
export const RESOURCE_TYPE_URN = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
export const SERVICE_PROVIDER_CONFIG_URN = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';

export const LIST_RESPONSE_URN = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const SEARCH_REQUEST_URN = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
export const PATCH_OP_URN = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const BULK_REQUEST_URN = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
export const BULK_RESPONSE_URN = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse';
export const ERROR_URN = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** Upper bounds that keep hostile input cheap. Callers may lower them, not raise them past sanity. */
export const LIMITS = {
  /** Filter and path text, in UTF-16 code units (4 KiB of ASCII). */
  maxFilterLength: 4096,
  /** Parentheses, `not` and value-path brackets nested inside each other. */
  maxFilterDepth: 32,
  /** Operations in one PATCH request. */
  maxPatchOperations: 1000,
  /** Elements a multi-valued attribute may hold after a write. */
  maxMultiValuedElements: 100_000,
} as const;
