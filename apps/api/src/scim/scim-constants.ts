/** Limits and capabilities the server advertises in /ServiceProviderConfig and enforces. */
export const SCIM_BASE_PATH = '/scim/v2';
export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';

export const SCIM_LIMITS = {
  /** RFC 9865 defaultPageSize / RFC 7644 default count. */
  defaultPageSize: 100,
  /** RFC 9865 maxPageSize and RFC 7643 §5 filter.maxResults. */
  maxPageSize: 1000,
  /** RFC 7643 §5 bulk.maxOperations. */
  bulkMaxOperations: 1000,
  /** RFC 9865 cursorTimeout, seconds. */
  cursorTimeoutSeconds: 3600,
} as const;

/** Default per-client request rate (token bucket), overridable per tenant in settings.scim.rateLimit. */
export const DEFAULT_RATE_LIMIT = { requestsPerSecond: 200, burst: 400 } as const;

/** Attributes a user may change through /Me unless the tenant says otherwise (settings.scim.selfService). */
export const DEFAULT_SELF_SERVICE_ATTRIBUTES: readonly string[] = [
  'displayName',
  'nickName',
  'preferredLanguage',
  'locale',
  'timezone',
  'photos',
];
