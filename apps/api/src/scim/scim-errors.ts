import { ScimError, TooManyRequestsError, type ScimType } from '@hub/scim';

/** RFC 9865 §2.1 pagination errors (400); libs/scim's ScimType predates them. */
export type PaginationScimType = 'invalidCursor' | 'expiredCursor' | 'invalidCount';

export class PaginationError extends ScimError {
  constructor(scimType: PaginationScimType, detail: string) {
    super(400, scimType as unknown as ScimType, detail);
  }
}

/** 429 with the seconds the client should wait (sent as Retry-After). */
export class RateLimitedError extends TooManyRequestsError {
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many requests for this client; retry after ${retryAfterSeconds} s`);
  }
}

/** 415: SCIM bodies are JSON (RFC 7644 §3.1 application/scim+json, application/json accepted). */
export class UnsupportedMediaTypeError extends ScimError {
  constructor(detail = 'Send application/scim+json or application/json') {
    super(415, undefined, detail);
  }
}
