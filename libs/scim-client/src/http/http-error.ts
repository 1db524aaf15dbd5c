/**
 * - `auth`: 401/403, or the token endpoint refused the client.
 * - `unreachable`: connection refused/reset, DNS, timeouts.
 * - `tls`: certificate or handshake failure.
 * - `rateLimited`: still 429/503 after the retry budget, or Retry-After beyond what we wait.
 * - `remote`: any other non-2xx answer.
 * - `protocol`: an answer we cannot use (not JSON, too large, a redirect to another origin).
 */
export type HttpErrorKind = 'auth' | 'unreachable' | 'tls' | 'rateLimited' | 'remote' | 'protocol';

/**
 * Every failure of an outbound request. Messages carry the method, the path (never the query
 * string, which may hold personal data in a filter) and the status; never a credential.
 */
export class HttpRequestError extends Error {
  readonly kind: HttpErrorKind;
  readonly status: number | undefined;
  /** SCIM error body fields (RFC 7644 §3.12), when the server sent one. */
  readonly scimType: string | undefined;
  readonly detail: string | undefined;
  readonly retryAfterMs: number | undefined;
  /** Parsed response body, for callers that understand the API's own error format. */
  readonly body: unknown;

  constructor(
    kind: HttpErrorKind,
    message: string,
    extra: {
      status?: number;
      scimType?: string;
      detail?: string;
      retryAfterMs?: number;
      body?: unknown;
      cause?: unknown;
    } = {},
  ) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'HttpRequestError';
    this.kind = kind;
    this.status = extra.status;
    this.scimType = extra.scimType;
    this.detail = extra.detail;
    this.retryAfterMs = extra.retryAfterMs;
    this.body = extra.body;
  }
}
