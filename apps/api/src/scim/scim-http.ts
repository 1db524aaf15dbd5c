import type { Request, Response } from 'express';
import type { Principal } from '@hub/auth';
import { SCIM_CONTENT_TYPE } from './scim-constants';
import type { ScimCaller, ScimResult } from './scim-resource.service';
import type { ProjectionOptions } from '@hub/scim';
import { listRequestFromQuery } from './scim-list-query';

/** Writes a SCIM response: status, ETag, Location, `application/scim+json` body (none for 204/304). */
export function send(res: Response, result: ScimResult): void {
  if (result.etag) res.setHeader('ETag', result.etag);
  if (result.location && (result.status === 201 || result.body)) res.setHeader('Location', result.location);
  res.status(result.status);
  if (result.status === 204 || result.status === 304 || result.body === undefined) {
    res.end();
    return;
  }
  res.setHeader('Content-Type', SCIM_CONTENT_TYPE);
  res.end(JSON.stringify(result.body));
}

export function sendJson(res: Response, status: number, body: unknown): void {
  res.status(status).setHeader('Content-Type', SCIM_CONTENT_TYPE);
  res.end(JSON.stringify(body));
}

export function callerOf(req: Request, principal: Principal, channel = 'scim'): ScimCaller {
  const id = (req as { id?: unknown }).id;
  return { principal, ...(id !== undefined ? { requestId: String(id) } : {}), channel };
}

export function header(req: Request, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** `attributes` / `excludedAttributes` of a single-resource request (RFC 7644 §3.9). */
export function projectionOf(req: Request): ProjectionOptions {
  const list = listRequestFromQuery(
    Object.fromEntries(
      Object.entries(req.query).filter(([k]) =>
        ['attributes', 'excludedattributes'].includes(k.toLowerCase()),
      ),
    ),
  );
  return {
    ...(list.attributes ? { attributes: list.attributes } : {}),
    ...(list.excludedAttributes ? { excludedAttributes: list.excludedAttributes } : {}),
  };
}
