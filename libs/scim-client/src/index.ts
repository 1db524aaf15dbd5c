// Public API of @hub/scim-client: outbound SCIM 2.0 over undici, and the HTTP building blocks
// (auth, retry, rate limit, error classification) the REST connector shares.
export * from './http/network-errors';
export * from './http/http-error';
export {
  createAuthProvider,
  ClientCredentialsAuth,
  safeUrl,
  type AuthConfig,
  type AuthProvider,
} from './http/auth';
export { parseRetryAfter, backoffDelay, sleep, DEFAULT_RETRY, type RetryPolicy } from './http/retry';
export { TokenBucket, type RateLimit } from './http/token-bucket';
export {
  HttpClient,
  type HttpClientOptions,
  type HttpRequest,
  type HttpResponse,
  type TlsOptions,
} from './http/http-client';
export {
  ScimClient,
  type ScimClientOptions,
  type ListOptions,
  type ListPage,
  type ListPageAnswer,
  type PageStart,
  type WriteOptions,
} from './scim-client';
export { parseCapabilities, type ScimCapabilities } from './scim-capabilities';
export { buildPatch, type BuildPatchOptions } from './patch-builder';
export * from './probe';
