import { randomUUID, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  buildListResponse,
  compileFilter,
  formatETag,
  NotFoundError,
  parseFilter,
  parsePagination,
  patchResource,
  projectResource,
  renderResourceType,
  renderSchema,
  SchemaRegistry,
  ScimError,
  SERVICE_PROVIDER_CONFIG_URN,
  UnauthorizedError,
  UniquenessError,
  validateFilter,
  validateResource,
  type JsonObject,
} from '@hub/scim';

/**
 * A small SCIM 2.0 application held in memory, for the first five minutes with the hub: `npm
 * start` runs two of them on loopback as push targets of the demo tenant, so a newcomer sees a
 * user created at the hub appear in both. Users and Groups with filters, PATCH, PUT, DELETE,
 * index paging and discovery, all through `@hub/scim`. Nothing is kept across restarts.
 */
export interface DemoScimAppOptions {
  /** Shown in `/ServiceProviderConfig` and in logs. */
  name: string;
  /** Bearer token clients must send. */
  token: string;
  /** Preferred port; another free one is taken when it is busy. Default: any free port. */
  port?: number;
  /** Loopback only unless told otherwise. */
  host?: string;
}

export interface DemoScimApp {
  readonly name: string;
  /** e.g. `http://127.0.0.1:3101/scim/v2` */
  readonly baseUrl: string;
  readonly port: number;
  users(): JsonObject[];
  groups(): JsonObject[];
  close(): Promise<void>;
}

type TypeName = 'User' | 'Group';
const ENDPOINTS: Record<string, TypeName> = { users: 'User', groups: 'Group' };
const PREFIX = '/scim/v2';
const MAX_BODY = 1024 * 1024;
const PAGE = 200;

export async function startDemoScimApp(options: DemoScimAppOptions): Promise<DemoScimApp> {
  const registry = SchemaRegistry.withBuiltIns({ device: false });
  const store: Record<TypeName, Map<string, JsonObject>> = { User: new Map(), Group: new Map() };
  let version = 0;
  let baseUrl = '';
  const expected = Buffer.from(`Bearer ${options.token}`);

  const stamp = (type: TypeName, resource: JsonObject, id: string, created?: string): JsonObject => {
    const now = new Date().toISOString();
    version += 1;
    return {
      ...resource,
      id,
      meta: {
        resourceType: type,
        created: created ?? now,
        lastModified: now,
        version: formatETag(version),
        location: `${baseUrl}/${type}s/${id}`,
      },
    };
  };

  const checkUnique = (type: TypeName, resource: JsonObject, id?: string) => {
    if (type !== 'User') return;
    const name = String(resource.userName ?? '').toLowerCase();
    for (const other of store.User.values())
      if (other.id !== id && String(other.userName).toLowerCase() === name)
        throw new UniquenessError(`userName ${JSON.stringify(resource.userName)} is already taken`);
  };

  const list = (type: TypeName, params: Record<string, unknown>) => {
    const schemas = registry.resourceType(type);
    let items = [...store[type].values()];
    if (typeof params.filter === 'string')
      items = items.filter(compileFilter(validateFilter(parseFilter(params.filter), schemas)));
    const { startIndex, count } = parsePagination(params, { defaultCount: PAGE, maxCount: PAGE });
    const page = items.slice(startIndex - 1, startIndex - 1 + count);
    return buildListResponse(
      page.map((r) =>
        projectResource(r, schemas, {
          ...(typeof params.attributes === 'string' ? { attributes: params.attributes } : {}),
          ...(typeof params.excludedAttributes === 'string'
            ? { excludedAttributes: params.excludedAttributes }
            : {}),
        }),
      ),
      { totalResults: items.length, startIndex },
    );
  };

  const handle = (method: string, segments: string[], query: Record<string, string>, body: unknown) => {
    const [first = '', id, extra] = segments;
    const lower = first.toLowerCase();
    if (method === 'GET' && lower === 'serviceproviderconfig' && !id)
      return { status: 200, body: serviceProviderConfig(options.name) };
    if (method === 'GET' && lower === 'resourcetypes' && !id) {
      const types = registry.listResourceTypes().map((t) => renderResourceType(t, { baseUrl }));
      return { status: 200, body: buildListResponse(types, { totalResults: types.length, startIndex: 1 }) };
    }
    if (method === 'GET' && lower === 'schemas' && !id) {
      const all = registry.listSchemas().map((s) => renderSchema(s, { baseUrl }));
      return { status: 200, body: buildListResponse(all, { totalResults: all.length, startIndex: 1 }) };
    }
    const type = ENDPOINTS[lower];
    if (!type || extra !== undefined) throw new NotFoundError(`No endpoint ${PREFIX}/${segments.join('/')}`);
    const schemas = registry.resourceType(type);
    const items = store[type];
    if (id === '.search' && method === 'POST') return { status: 200, body: list(type, asObject(body)) };
    if (id === undefined) {
      if (method === 'GET') return { status: 200, body: list(type, query) };
      if (method === 'POST') {
        const valid = validateResource(body, schemas, { context: 'create' });
        checkUnique(type, valid);
        const created = stamp(type, valid, randomUUID());
        items.set(created.id as string, created);
        return { status: 201, body: projectResource(created, schemas) };
      }
      throw new ScimError(405, undefined, `${method} is not allowed on a collection`);
    }
    const existing = items.get(id);
    if (!existing) throw new NotFoundError(`${type} ${id} not found`);
    const created = (existing.meta as JsonObject).created as string;
    switch (method) {
      case 'GET':
        return { status: 200, body: projectResource(existing, schemas) };
      case 'PUT': {
        const valid = validateResource(body, schemas, { context: 'replace', existing });
        checkUnique(type, valid, id);
        const replaced = stamp(type, valid, id, created);
        items.set(id, replaced);
        return { status: 200, body: projectResource(replaced, schemas) };
      }
      case 'PATCH': {
        const { id: _id, meta: _meta, ...current } = existing;
        const patched = patchResource(current, body, schemas);
        checkUnique(type, patched, id);
        const updated = stamp(type, patched, id, created);
        items.set(id, updated);
        return { status: 200, body: projectResource(updated, schemas) };
      }
      case 'DELETE':
        items.delete(id);
        return { status: 204, body: undefined };
      default:
        throw new ScimError(405, undefined, `${method} is not allowed here`);
    }
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      const reply = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/scim+json' });
        res.end(payload === undefined ? '' : JSON.stringify(payload));
      };
      try {
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        const given = Buffer.from(req.headers.authorization ?? '');
        if (given.length !== expected.length || !timingSafeEqual(given, expected))
          throw new UnauthorizedError();
        if (size > MAX_BODY) throw new ScimError(413, undefined, 'The request body is too large');
        if (!url.pathname.startsWith(`${PREFIX}/`)) throw new NotFoundError();
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        if (text.trim()) {
          try {
            body = JSON.parse(text);
          } catch {
            throw new ScimError(400, 'invalidSyntax', 'The body is not JSON');
          }
        }
        const segments = url.pathname
          .slice(PREFIX.length + 1)
          .split('/')
          .filter(Boolean)
          .map(decodeURIComponent);
        const result = handle(req.method ?? 'GET', segments, Object.fromEntries(url.searchParams), body);
        reply(result.status, result.body);
      } catch (e) {
        const error = e instanceof ScimError ? e : new ScimError(500, undefined, 'Internal error');
        reply(error.status, error.toJSON());
      }
    });
  });
  const host = options.host ?? '127.0.0.1';
  const port = await listen(server, host, options.port ?? 0).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EADDRINUSE' && options.port) return listen(server, host, 0);
    throw error;
  });
  baseUrl = `http://${host}:${port}${PREFIX}`;
  const values = (type: TypeName) => [...store[type].values()].map((r) => structuredClone(r));
  return {
    name: options.name,
    baseUrl,
    port,
    users: () => values('User'),
    groups: () => values('Group'),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function listen(server: http.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      server.off('listening', onListening);
      reject(error);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

function serviceProviderConfig(name: string): JsonObject {
  return {
    schemas: [SERVICE_PROVIDER_CONFIG_URN],
    documentationUri: `urn:scim-hub:demo-app:${encodeURIComponent(name)}`,
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: PAGE },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [
      { type: 'oauthbearertoken', name: 'Bearer token', description: 'RFC 6750 bearer token' },
    ],
  };
}

function asObject(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}
