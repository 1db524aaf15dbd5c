import { ERROR_URN } from '../constants';

/** RFC 7644 §3.12 detail error keywords. */
export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive';

export interface ScimErrorJson {
  schemas: [typeof ERROR_URN];
  status: string;
  scimType?: ScimType;
  detail?: string;
}

/**
 * Base of every error the protocol library throws. Apps map it to an HTTP response with
 * `toJSON()`; nothing else (TypeError, RangeError...) may escape the library on bad input.
 */
export class ScimError extends Error {
  readonly status: number;
  readonly scimType: ScimType | undefined;
  /** Character offset in the offending filter or path, when there is one. */
  readonly position: number | undefined;

  constructor(status: number, scimType: ScimType | undefined, detail: string, position?: number) {
    super(detail);
    this.name = new.target.name;
    this.status = status;
    this.scimType = scimType;
    this.position = position;
  }

  get detail(): string {
    return this.message;
  }

  toJSON(): ScimErrorJson {
    const json: ScimErrorJson = { schemas: [ERROR_URN], status: String(this.status) };
    if (this.scimType !== undefined) json.scimType = this.scimType;
    if (this.message) json.detail = this.message;
    return json;
  }
}

// --- one class per scimType (RFC 7644 §3.12 table 9) -------------------------------------------------

export class InvalidFilterError extends ScimError {
  constructor(detail: string, position?: number) {
    super(400, 'invalidFilter', detail, position);
  }
}
export class TooManyError extends ScimError {
  constructor(detail = 'The filter yields more results than the server is willing to process') {
    super(400, 'tooMany', detail);
  }
}
/** RFC 7644 §3.3 and §3.5.1 ask for 409 with `uniqueness` on a duplicate. */
export class UniquenessError extends ScimError {
  constructor(detail: string) {
    super(409, 'uniqueness', detail);
  }
}
export class MutabilityError extends ScimError {
  constructor(detail: string) {
    super(400, 'mutability', detail);
  }
}
export class InvalidSyntaxError extends ScimError {
  constructor(detail: string) {
    super(400, 'invalidSyntax', detail);
  }
}
export class InvalidPathError extends ScimError {
  constructor(detail: string, position?: number) {
    super(400, 'invalidPath', detail, position);
  }
}
export class NoTargetError extends ScimError {
  constructor(detail: string) {
    super(400, 'noTarget', detail);
  }
}
export class InvalidValueError extends ScimError {
  constructor(detail: string) {
    super(400, 'invalidValue', detail);
  }
}
export class InvalidVersError extends ScimError {
  constructor(detail = 'The specified SCIM protocol version is not supported') {
    super(400, 'invalidVers', detail);
  }
}
/** RFC 7644 §7.5.2: personal data in a request URI is refused with 403 `sensitive`. */
export class SensitiveError extends ScimError {
  constructor(detail = 'The request cannot be completed because it passes sensitive information in the URI') {
    super(403, 'sensitive', detail);
  }
}

// --- plain HTTP statuses without scimType (RFC 7644 §3.12 table 8) ---------------------------------

export class BadRequestError extends ScimError {
  constructor(detail = 'Bad request') {
    super(400, undefined, detail);
  }
}
export class UnauthorizedError extends ScimError {
  constructor(detail = 'Authorization failure') {
    super(401, undefined, detail);
  }
}
export class ForbiddenError extends ScimError {
  constructor(detail = 'Operation is not permitted') {
    super(403, undefined, detail);
  }
}
export class NotFoundError extends ScimError {
  constructor(detail = 'Resource not found') {
    super(404, undefined, detail);
  }
}
export class ConflictError extends ScimError {
  constructor(detail = 'The request conflicts with the current state of the resource') {
    super(409, undefined, detail);
  }
}
export class PreconditionFailedError extends ScimError {
  constructor(detail = 'Resource has changed on the server (ETag mismatch)') {
    super(412, undefined, detail);
  }
}
export class PayloadTooLargeError extends ScimError {
  constructor(detail = 'Request is larger than the server accepts') {
    super(413, undefined, detail);
  }
}
export class TooManyRequestsError extends ScimError {
  constructor(detail = 'Too many requests') {
    super(429, undefined, detail);
  }
}
export class InternalServerError extends ScimError {
  constructor(detail = 'Internal server error') {
    super(500, undefined, detail);
  }
}
export class NotImplementedError extends ScimError {
  constructor(detail = 'Operation is not supported') {
    super(501, undefined, detail);
  }
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** RFC 7644 table 9 "Applicability" column: which methods may answer with which scimType. */
const SCIM_TYPE_METHODS: Readonly<Record<ScimType, readonly HttpMethod[]>> = {
  invalidFilter: ['GET', 'POST', 'PATCH'],
  tooMany: ['GET', 'POST'],
  uniqueness: ['POST', 'PUT', 'PATCH'],
  mutability: ['PUT', 'PATCH'],
  invalidSyntax: ['POST', 'PUT', 'PATCH'],
  invalidPath: ['PATCH'],
  noTarget: ['PATCH'],
  invalidValue: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
  invalidVers: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
  sensitive: ['GET'],
};

/** True when RFC 7644 lists `scimType` as applicable to `method` (search is POST). */
export function isScimTypeApplicable(scimType: ScimType, method: HttpMethod): boolean {
  return SCIM_TYPE_METHODS[scimType].includes(method);
}

/** Wraps anything thrown by foreign code so only ScimErrors leave a library boundary. */
export function toScimError(error: unknown): ScimError {
  if (error instanceof ScimError) return error;
  if (error instanceof RangeError) return new InvalidValueError('Input is too deeply nested or too large');
  return new InternalServerError();
}
