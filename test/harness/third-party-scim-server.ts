import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import SCIMMY from 'scimmy';
import SCIMMYRouters from 'scimmy-routers';

/**
 * A SCIM 2.0 service provider built on a library nobody here wrote — SCIMMY with its Express
 * routers (ADR 0651) — holding Users and Groups in memory on loopback. The hub pushes to it in
 * end-to-end tests so the push pipeline is checked against someone else's reading of the RFCs
 * (filters, PATCH, list responses, errors), not only against `@hub/scim`.
 *
 * SCIMMY keeps its resource declarations and configuration in module state, so every server in
 * one process shares one set of handlers; each request carries its own server's store through
 * the routers' `context` callback.
 */
export interface ThirdPartyScimServer {
  /** e.g. `http://127.0.0.1:41234/scim/v2` */
  baseUrl: string;
  /** Bearer token the server requires. */
  token: string;
  users(): StoredResource[];
  groups(): StoredResource[];
  /** Requests received, in order (method and path, for rate and ordering assertions). */
  requests: Array<{ method: string; path: string; status: number; at: number }>;
  close(): Promise<void>;
}

export interface StoredResource {
  id: string;
  [attribute: string]: unknown;
}

interface Store {
  User: Map<string, StoredResource>;
  Group: Map<string, StoredResource>;
}

type TypeName = keyof Store;

/** What SCIMMY hands a handler: the resource instance (id, parsed filter) of the request. */
interface HandlerResource {
  id?: string;
  filter?: { match(values: unknown[]): unknown[] };
}

let declared = false;

/** Declares User and Group once per process, with handlers that work on the request's store. */
function declareResources(): void {
  if (declared) return;
  declared = true;
  SCIMMY.Config.set({
    patch: true,
    filter: { supported: true, maxResults: 200 },
    sort: true,
    etag: false,
    bulk: false,
    changePassword: false,
  });
  const storeOf = (ctx: unknown): Store => {
    const store = (ctx as { store?: Store } | undefined)?.store;
    if (!store) throw scimError(500, undefined, 'No store in the request context');
    return store;
  };
  const declare = (Resource: typeof SCIMMY.Resources.User, type: TypeName) => {
    const uniqueKey = type === 'User' ? 'userName' : 'displayName';
    SCIMMY.Resources.declare(Resource)
      .egress((resource: HandlerResource, ctx?: unknown) => {
        const items = storeOf(ctx)[type];
        if (resource.id !== undefined) {
          const found = items.get(resource.id);
          if (!found) throw scimError(404, undefined, `Resource ${resource.id} not found`);
          return clone(found) as never;
        }
        const all = [...items.values()].map(clone);
        return (resource.filter ? resource.filter.match(all) : all) as never;
      })
      .ingress((resource: HandlerResource, instance: unknown, ctx?: unknown) => {
        const items = storeOf(ctx)[type];
        const data = JSON.parse(JSON.stringify(instance)) as Record<string, unknown>;
        const key = String(data[uniqueKey] ?? '').toLowerCase();
        for (const other of items.values()) {
          // RFC 7643: userName is unique (case-insensitively); displayName of groups is not.
          if (type === 'User' && other.id !== resource.id && String(other[uniqueKey]).toLowerCase() === key)
            throw scimError(409, 'uniqueness', `${uniqueKey} is already taken`);
        }
        const now = new Date().toISOString();
        if (resource.id !== undefined) {
          const existing = items.get(resource.id);
          if (!existing) throw scimError(404, undefined, `Resource ${resource.id} not found`);
          const meta = existing.meta as { created: string };
          const replaced = {
            ...stripShadow(data),
            id: resource.id,
            meta: { created: meta.created, lastModified: now },
          };
          items.set(resource.id, replaced);
          return clone(replaced) as never;
        }
        const id = randomUUID();
        const created = { ...stripShadow(data), id, meta: { created: now, lastModified: now } };
        items.set(id, created);
        return clone(created) as never;
      })
      .degress((resource: HandlerResource, ctx?: unknown) => {
        const items = storeOf(ctx)[type];
        if (resource.id === undefined || !items.delete(resource.id))
          throw scimError(404, undefined, `Resource ${resource.id} not found`);
      });
  };
  declare(SCIMMY.Resources.User, 'User');
  // Both resource classes have the same handler surface; their typings differ only in the schema.
  declare(SCIMMY.Resources.Group as unknown as typeof SCIMMY.Resources.User, 'Group');
}

export async function startThirdPartyScimServer(
  options: { token?: string } = {},
): Promise<ThirdPartyScimServer> {
  declareResources();
  const token = options.token ?? `tp-${randomUUID()}`;
  const store: Store = { User: new Map(), Group: new Map() };
  const requests: ThirdPartyScimServer['requests'] = [];
  const app = express();
  // SCIMMY does not do ETags (its ServiceProviderConfig says so); Express's own weak ETags on
  // every answer would only mislead a client, so they are off.
  app.set('etag', false);
  app.use((req, res, next) => {
    const entry = { method: req.method, path: req.path, status: 0, at: Date.now() };
    requests.push(entry);
    res.on('finish', () => (entry.status = res.statusCode));
    next();
  });
  app.use(express.json({ type: ['application/json', 'application/scim+json'], limit: '10mb' }));
  let origin = '';
  app.use(
    '/scim/v2',
    new SCIMMYRouters({
      type: 'bearer',
      docUri: 'https://datatracker.ietf.org/doc/html/rfc6750',
      handler: (req) => {
        if (req.header('authorization') !== `Bearer ${token}`)
          throw scimError(401, undefined, 'Bearer token required');
        return 'hub';
      },
      context: () => ({ store }),
      // SCIMMY appends the mount path itself.
      baseUri: () => origin,
    }) as unknown as express.Router,
  );
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrl: `${origin}/scim/v2`,
    token,
    users: () => [...store.User.values()].map(clone),
    groups: () => [...store.Group.values()].map(clone),
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** SCIMMY's error carries a status and scimType into the SCIM error body (null scimType: none). */
function scimError(status: number, scimType: string | undefined, detail: string): Error {
  return new SCIMMY.Types.Error(status, (scimType ?? null) as string, detail);
}

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function stripShadow(data: Record<string, unknown>): Record<string, unknown> {
  const { id: _id, meta: _meta, schemas: _schemas, ...rest } = data;
  return rest;
}
