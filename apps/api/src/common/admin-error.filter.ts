import {
  ArgumentsHost,
  Catch,
  HttpException,
  HttpStatus,
  Logger,
  type ExceptionFilter,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { BODY_READ_MESSAGES, bodyReadErrorOf, type HttpReply, type HttpRequest } from './http';

export interface AdminErrorBody {
  error: {
    status: number;
    code: string;
    message: string;
    details?: unknown;
    requestId?: string;
    errorId?: string;
  };
}

/**
 * Admin API errors: one JSON shape with a machine-readable code, the request id, and for
 * unexpected failures an error id that matches the log line. Never a stack trace.
 */
@Catch()
export class AdminErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('AdminErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<HttpRequest>();
    const res = http.getResponse<HttpReply>();
    const body = toBody(exception, req.id);
    if (body.error.status >= 500) {
      this.logger.error({ errorId: body.error.errorId, err: exception }, 'unhandled error');
    }
    if (res.sent) return;
    if (body.error.status === 401) void res.header('WWW-Authenticate', 'Bearer');
    void res
      .code(body.error.status)
      .header('Content-Type', 'application/json; charset=utf-8')
      .send(JSON.stringify(body));
  }
}

export function toBody(exception: unknown, requestId: string | undefined): AdminErrorBody {
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    const r = typeof response === 'object' && response !== null ? (response as Record<string, unknown>) : {};
    const messages = Array.isArray(r.message) ? (r.message as string[]) : undefined;
    return {
      error: {
        status,
        code: typeof r.code === 'string' ? r.code : codeFor(status),
        message: messages
          ? 'The request is invalid'
          : typeof r.message === 'string'
            ? r.message
            : exception.message,
        ...(messages ? { details: messages } : r.details !== undefined ? { details: r.details } : {}),
        requestId,
      },
    };
  }
  // A configuration gap an operator can fix; say which setting.
  if (exception instanceof Error && exception.name === 'SecretsKeyMissingError') {
    return { error: { status: 503, code: 'secrets_unavailable', message: exception.message, requestId } };
  }
  // Body errors Fastify raised before a handler ran (400 bad JSON, 413 too large).
  const body = bodyReadErrorOf(exception);
  if (body) {
    return {
      error: {
        status: body.status,
        code: codeFor(body.status),
        message: BODY_READ_MESSAGES[body.reason],
        requestId,
      },
    };
  }
  return {
    error: {
      status: HttpStatus.INTERNAL_SERVER_ERROR,
      code: 'internal_error',
      message: 'An unexpected error occurred; quote the errorId when reporting it',
      requestId,
      errorId: randomUUID(),
    },
  };
}

function codeFor(status: number): string {
  switch (status) {
    case 400:
      return 'bad_request';
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 405:
      return 'method_not_allowed';
    case 409:
      return 'conflict';
    case 412:
      return 'precondition_failed';
    case 413:
      return 'payload_too_large';
    case 415:
      return 'unsupported_media_type';
    case 422:
      return 'unprocessable';
    case 429:
      return 'too_many_requests';
    default:
      return status >= 500 ? 'internal_error' : 'error';
  }
}
