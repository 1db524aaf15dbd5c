import type { HttpReply, HttpRequest } from '../common/http';
import type { Principal } from '@hub/auth';
import { SCIM_CONTENT_TYPE } from './scim-constants';
import type { ScimCaller, ScimResult } from './scim-resource.service';
import type { ProjectionOptions } from '@hub/scim';
import { listRequestFromQuery } from './scim-list-query';

/** Writes a SCIM response: status, ETag, Location, `application/scim+json` body (none for 204/304). */
export function send(res: HttpReply, result: ScimResult): void {
  if (result.etag) void res.header('ETag', result.etag);
  if (result.location && (result.status === 201 || result.body)) void res.header('Location', result.location);
  void res.code(result.status);
  if (result.status === 204 || result.status === 304 || result.body === undefined) {
    void res.send();
    return;
  }
  void res.header('Content-Type', SCIM_CONTENT_TYPE).send(JSON.stringify(result.body));
}

export function sendJson(res: HttpReply, status: number, body: unknown): void {
  void res.code(status).header('Content-Type', SCIM_CONTENT_TYPE).send(JSON.stringify(body));
}

export function callerOf(req: HttpRequest, principal: Principal, channel = 'scim'): ScimCaller {
  return { principal, requestId: req.id, channel };
}

export function header(req: HttpRequest, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** `attributes` / `excludedAttributes` of a single-resource request (RFC 7644 §3.9). */
export function projectionOf(req: HttpRequest): ProjectionOptions {
  const list = listRequestFromQuery(
    Object.fromEntries(
      Object.entries(req.query as Record<string, unknown>).filter(([k]) =>
        ['attributes', 'excludedattributes'].includes(k.toLowerCase()),
      ),
    ),
  );
  return {
    ...(list.attributes ? { attributes: list.attributes } : {}),
    ...(list.excludedAttributes ? { excludedAttributes: list.excludedAttributes } : {}),
  };
}
