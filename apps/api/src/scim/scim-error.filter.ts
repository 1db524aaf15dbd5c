import { ArgumentsHost, Catch, HttpException, Logger, type ExceptionFilter } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  BODY_READ_MESSAGES,
  bodyReadErrorOf,
  pathOf,
  type HttpReply,
  type HttpRequest,
} from '../common/http';
import { ERROR_URN, ScimError, UniquenessError, type ScimErrorJson } from '@hub/scim';
import { UniqueKeyTakenError } from '@hub/persistence';
import { AdminErrorFilter } from '../common/admin-error.filter';
import { RateLimitedError } from './scim-errors';
import { SCIM_BASE_PATH, SCIM_CONTENT_TYPE } from './scim-constants';

/** True for requests to the SCIM server (their errors are SCIM error bodies). */
export function isScimRequest(req: Pick<HttpRequest, 'url'>): boolean {
  const path = pathOf(req).toLowerCase();
  return path === SCIM_BASE_PATH.toLowerCase() || path.startsWith(`${SCIM_BASE_PATH.toLowerCase()}/`);
}

/**
 * The API's one global filter: SCIM requests get RFC 7644 §3.12 error bodies
 * (`application/scim+json`, `status` as a string, `scimType`, `detail`), everything else the admin
 * JSON shape. Covers what never reaches a controller too: 401/403 from the guard, 404 for unknown
 * routes, body-parser 400/413/415. Never a stack trace.
 */
@Catch()
export class ApiErrorFilter implements ExceptionFilter {
  private readonly admin = new AdminErrorFilter();
  private readonly logger = new Logger('ScimErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<HttpRequest>();
    if (!isScimRequest(req)) return this.admin.catch(exception, host);
    const res = http.getResponse<HttpReply>();
    const error = toScimErrorBody(exception);
    if (error.status >= 500) {
      const errorId = randomUUID();
      this.logger.error({ errorId, requestId: req.id, err: exception }, 'unhandled SCIM error');
      if (process.env.SCIM_DEBUG) console.error(exception);
      error.body.detail = `An unexpected error occurred; quote error id ${errorId} when reporting it`;
    }
    if (res.sent) return;
    if (error.status === 401) void res.header('WWW-Authenticate', 'Bearer');
    if (exception instanceof RateLimitedError)
      void res.header('Retry-After', String(exception.retryAfterSeconds));
    void res.code(error.status).header('Content-Type', SCIM_CONTENT_TYPE).send(JSON.stringify(error.body));
  }
}

export function toScimErrorBody(exception: unknown): { status: number; body: ScimErrorJson } {
  if (exception instanceof UniqueKeyTakenError) exception = new UniquenessError('userName is already taken');
  if (exception instanceof ScimError) return { status: exception.status, body: exception.toJSON() };
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    const message =
      typeof response === 'object' &&
      response !== null &&
      typeof (response as { message?: unknown }).message === 'string'
        ? (response as { message: string }).message
        : exception.message;
    return { status, body: errorJson(status, undefined, status === 404 ? 'No such SCIM endpoint' : message) };
  }
  // Body errors Fastify raised before a handler ran (400 bad JSON, 413 too large).
  const bodyError = bodyReadErrorOf(exception);
  if (bodyError)
    return {
      status: bodyError.status,
      body: errorJson(
        bodyError.status,
        bodyError.reason === 'invalid_json' ? 'invalidSyntax' : undefined,
        BODY_READ_MESSAGES[bodyError.reason],
      ),
    };
  return { status: 500, body: errorJson(500, undefined, 'Internal server error') };
}

function errorJson(status: number, scimType: ScimErrorJson['scimType'], detail: string): ScimErrorJson {
  return {
    schemas: [ERROR_URN],
    status: String(status),
    ...(scimType ? { scimType } : {}),
    detail,
  };
}
