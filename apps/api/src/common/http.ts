import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '@hub/auth';

/**
 * The API runs on Fastify (ADR 0304). Controllers, guards and filters use these two types, never
 * the adapter's directly, so the choice stays in one place.
 */
export type HttpRequest = FastifyRequest & { principal?: Principal };
export type HttpReply = FastifyReply;

/** The request path without its query string. */
export function pathOf(req: Pick<FastifyRequest, 'url'>): string {
  const url = req.url ?? '';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/** What went wrong reading a request body, from the error Fastify raised before any handler ran. */
export interface BodyReadError {
  status: number;
  reason: 'too_large' | 'invalid_json' | 'unreadable';
}

export function bodyReadErrorOf(exception: unknown): BodyReadError | undefined {
  const e = exception as { statusCode?: unknown; code?: unknown; name?: unknown } | null;
  const status = e?.statusCode;
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined;
  if (status === 413) return { status, reason: 'too_large' };
  if (e?.name === 'SyntaxError' || e?.code === 'FST_ERR_CTP_EMPTY_JSON_BODY')
    return { status: 400, reason: 'invalid_json' };
  return { status, reason: 'unreadable' };
}

export const BODY_READ_MESSAGES: Record<BodyReadError['reason'], string> = {
  too_large: 'The request body is larger than this server accepts',
  invalid_json: 'The request body is not valid JSON',
  unreadable: 'The request body could not be read',
};
