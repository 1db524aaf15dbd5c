// Public API of @hub/scim-client: outbound SCIM 2.0 over undici, and the HTTP building blocks
// (auth, retry, rate limit, error classification) the REST connector shares.
export * from './http/network-errors';
