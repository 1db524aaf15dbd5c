import { randomUUID } from 'node:crypto';
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
  UniquenessError,
  UnauthorizedError,
  validateFilter,
  validateResource,
  type JsonObject,
  type PatchDialect,
  type ResourceTypeSchemas,
} from '@hub/scim';

/**
 * A small but honest in-memory SCIM 2.0 service provider on loopback, built on `@hub/scim`:
 * Users and Groups CRUD, filters (parse → validate → compile), PATCH (`patchResource`, per
 * dialect), index and cursor paging (RFC 9865), ETags, `/ServiceProviderConfig`,
 * `/ResourceTypes`, `/Schemas`. Faults are injectable (errors, latency, rate limit) so it serves
 * as an upstream source and as a downstream target in end-to-end tests.
 */
export interface ScimTestServerOptions {
  /** Required bearer token; none when omitted. */
  token?: string;
  /** Advertised and enforced: when false, `filter` is refused with 400 (as some servers do). */
  filterSupported?: boolean;
  /** RFC 9865 cursor paging advertised and served. Default true. */
  cursorPaging?: boolean;
  /** Largest page served. Default 100. */
  maxPageSize?: number;
  patchDialect?: PatchDialect;
  /**
   * Attributes the server itself assigns (a mail service minting `emails[type eq "work"]`): called
   * with each resource about to be stored by POST, PUT or PATCH (and what was stored before, if
   * anything), returns the resource to store. Lets a test stand in for a target that owns attributes.
   */
  mint?: (type: 'User' | 'Group', resource: JsonObject, previous: JsonObject | undefined) => JsonObject;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  status: number;
  /** When the request arrived (ms since the epoch): rate assertions count these. */
  at: number;
}

/**
 * Random faults, drawn per request from a seeded generator (so a failing run can be replayed):
 * 500s, 429 with Retry-After, slow answers, answers lost after the work was done (the socket is
 * reset: the client cannot know whether it happened), and hangs long enough for a client timeout.
 */
export interface ChaosOptions {
  seed?: number;
  errorRate?: number;
  throttleRate?: number;
  /** Retry-After on injected 429s, seconds. Default 1. */
  retryAfterSeconds?: number;
  slowRate?: number;
  slowMs?: number;
  /** The request is carried out, then the connection reset without an answer. */
  dropRate?: number;
  /** The request is carried out, then nothing is sent for `hangMs`, then the connection reset. */
  hangRate?: number;
  hangMs?: number;
}

export interface InjectedFault {
  /** How many matching requests fail. */
  count: number;
  status: number;
  body?: unknown;
  retryAfter?: string;
  /** Only requests whose method and path match. */
  match?: { method?: string; path?: RegExp };
}

/** A request held before it is carried out (see `holdNext`). */
export interface HeldRequest {
  /** Resolves once a matching request has arrived (and is waiting). */
  readonly arrived: Promise<void>;
  /** Lets it go on (before or after it arrived). */
  release(): void;
}

export interface ScimTestServer {
  baseUrl: string;
  requests: RecordedRequest[];
  /** Direct access to stored resources (for assertions and seeding). */
  store: Map<'User' | 'Group', Map<string, JsonObject>>;
  seed(type: 'User' | 'Group', resource: JsonObject, lastModified?: string): JsonObject;
  failNext(fault: InjectedFault): void;
  setLatency(ms: number): void;
  /** At most `requests` per `windowMs`; the rest get 429 with Retry-After (seconds, rounded up). */
  setRateLimit(limit: { requests: number; windowMs: number } | undefined): void;
  setOptions(options: Partial<ScimTestServerOptions>): void;
  /** The next request matching method and path is carried out, then its answer lost (connection reset). */
  dropNext(match: { method?: string; path?: RegExp }): void;
  /** The next request matching method and path waits, before it is carried out, until released. */
  holdNext(match: { method?: string; path?: RegExp }): HeldRequest;
  /** Random faults from now on (undefined: none). */
  setChaos(chaos: ChaosOptions | undefined): void;
  /** Total outage: every connection is reset at once, nothing is carried out. */
  setOutage(down: boolean): void;
  /** The most requests in flight at once (arrived, not yet answered) since the last reset. */
  peakInFlight(reset?: boolean): number;
  close(): Promise<void>;
}

const SCIM_JSON = 'application/scim+json';
const ENDPOINTS: Record<string, 'User' | 'Group'> = { users: 'User', groups: 'Group' };

export async function startScimTestServer(initial: ScimTestServerOptions = {}): Promise<ScimTestServer> {
  let options: ScimTestServerOptions = {
    filterSupported: true,
    cursorPaging: true,
    maxPageSize: 100,
    ...initial,
  };
  const registry = SchemaRegistry.withBuiltIns({ device: false });
  const users = new NameIndexedMap();
  const store = new Map<'User' | 'Group', Map<string, JsonObject>>([
    ['User', users],
    ['Group', new Map()],
  ]);
  const requests: RecordedRequest[] = [];
  const faults: InjectedFault[] = [];
  const drops: Array<{ method?: string; path?: RegExp }> = [];
  const holds: Array<{ match: { method?: string; path?: RegExp }; arrive(): void; released: Promise<void> }> =
    [];
  let latency = 0;
  let rateLimit: { requests: number; windowMs: number } | undefined;
  let windowStart = 0;
  let windowCount = 0;
  let version = 0;
  let baseUrl = '';
  let chaos: ChaosOptions | undefined;
  let random = mulberry32(1);
  let down = false;

  const schemasOf = (type: 'User' | 'Group'): ResourceTypeSchemas => registry.resourceType(type);
  const minted = (type: 'User' | 'Group', resource: JsonObject, previous: JsonObject | undefined) =>
    options.mint ? options.mint(type, resource, previous) : resource;

  const stamp = (
    type: 'User' | 'Group',
    resource: JsonObject,
    id: string,
    created?: string,
    at?: string,
  ): JsonObject => {
    const now = at ?? new Date().toISOString();
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

  const checkUnique = (type: 'User' | 'Group', resource: JsonObject, id?: string) => {
    if (type !== 'User') return;
    for (const other of users.named(String(resource.userName ?? '')))
      if (other.id !== id)
        throw new UniquenessError(`userName ${JSON.stringify(resource.userName)} is already taken`);
  };

  const seed = (type: 'User' | 'Group', input: JsonObject, lastModified?: string): JsonObject => {
    const valid = validateResource(input, schemasOf(type), { context: 'create' });
    const resource = stamp(type, valid, randomUUID(), lastModified, lastModified);
    store.get(type)!.set(resource.id as string, resource);
    return resource;
  };

  const list = (type: 'User' | 'Group', query: Record<string, string>, body?: JsonObject) => {
    const params = { ...query, ...(body ?? {}) } as Record<string, unknown>;
    const schemas = schemasOf(type);
    let items: JsonObject[];
    if (params.filter !== undefined) {
      if (!options.filterSupported) throw new ScimError(400, 'invalidFilter', 'Filtering is not supported');
      const predicate = compileFilter(validateFilter(parseFilter(params.filter), schemas));
      // The match lookup (`userName eq "…"`) through the index; the filter still decides.
      const byName =
        type === 'User' ? /^\s*userName\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$/i.exec(String(params.filter)) : null;
      const candidates = byName
        ? users.named(JSON.parse(`"${byName[1]!}"`) as string)
        : store.get(type)!.values();
      items = [...candidates].filter(predicate);
    } else items = [...store.get(type)!.values()];
    items.sort((a, b) => (String(a.id) < String(b.id) ? -1 : String(a.id) > String(b.id) ? 1 : 0));
    const max = options.maxPageSize ?? 100;
    const project = (r: JsonObject) =>
      projectResource(r, schemas, {
        ...(params.attributes !== undefined ? { attributes: String(params.attributes) } : {}),
        ...(params.excludedAttributes !== undefined
          ? { excludedAttributes: String(params.excludedAttributes) }
          : {}),
      });
    if (params.cursor !== undefined) {
      if (!options.cursorPaging) throw new ScimError(400, 'invalidValue', 'Cursor paging is not supported');
      const count = Math.min(params.count === undefined ? max : Number(params.count), max);
      const start = params.cursor === '' ? 0 : decodeCursor(String(params.cursor));
      const page = items.slice(start, start + count);
      const next = start + count < items.length ? encodeCursor(start + count) : undefined;
      return {
        ...buildListResponse(page.map(project), { totalResults: items.length, startIndex: 1 }),
        ...(next ? { nextCursor: next } : {}),
        ...(start > 0 ? { previousCursor: encodeCursor(Math.max(0, start - count)) } : {}),
      };
    }
    const { startIndex, count } = parsePagination(params, { defaultCount: max, maxCount: max });
    const page = items.slice(startIndex - 1, startIndex - 1 + count);
    return buildListResponse(page.map(project), { totalResults: items.length, startIndex });
  };

  const handle = async (method: string, segments: string[], query: Record<string, string>, body: unknown) => {
    const [first, id, extra] = segments;
    const lower = (first ?? '').toLowerCase();
    if (method === 'GET' && lower === 'serviceproviderconfig')
      return { status: 200, body: serviceProviderConfig(options) };
    if (method === 'GET' && lower === 'resourcetypes')
      return {
        status: 200,
        body: buildListResponse(
          registry.listResourceTypes().map((t) => renderResourceType(t, { baseUrl })),
          { totalResults: registry.listResourceTypes().length, startIndex: 1 },
        ),
      };
    if (method === 'GET' && lower === 'schemas') {
      const all = registry.listSchemas().map((s) => renderSchema(s, { baseUrl }));
      return { status: 200, body: buildListResponse(all, { totalResults: all.length, startIndex: 1 }) };
    }
    const type = ENDPOINTS[lower];
    if (!type) throw new NotFoundError(`No endpoint /${first ?? ''}`);
    const schemas = schemasOf(type);
    const items = store.get(type)!;
    if (id === '.search' && method === 'POST')
      return { status: 200, body: list(type, {}, body as JsonObject) };
    if (extra !== undefined) throw new NotFoundError();
    if (id === undefined) {
      if (method === 'GET') return { status: 200, body: list(type, query) };
      if (method === 'POST') {
        const valid = minted(type, validateResource(body, schemas, { context: 'create' }), undefined);
        checkUnique(type, valid);
        const created = stamp(type, valid, randomUUID());
        items.set(created.id as string, created);
        return { status: 201, body: projectResource(created, schemas) };
      }
      throw new ScimError(405, undefined, `${method} is not allowed here`);
    }
    const existing = items.get(id);
    if (!existing) throw new NotFoundError(`${type} ${id} not found`);
    switch (method) {
      case 'GET':
        return { status: 200, body: projectResource(existing, schemas) };
      case 'PUT': {
        const valid = minted(
          type,
          validateResource(body, schemas, { context: 'replace', existing }),
          existing,
        );
        checkUnique(type, valid, id);
        const replaced = stamp(type, valid, id, (existing.meta as JsonObject).created as string);
        items.set(id, replaced);
        return { status: 200, body: projectResource(replaced, schemas) };
      }
      case 'PATCH': {
        const { id: _id, meta, ...current } = existing;
        const patched = minted(
          type,
          patchResource(current, body, schemas, { dialect: options.patchDialect ?? 'rfc' }),
          existing,
        );
        checkUnique(type, patched, id);
        const updated = stamp(type, patched, id, (meta as JsonObject).created as string);
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

  let inFlight = 0;
  let peak = 0;
  const server = http.createServer((req, res) => {
    if (down) {
      requests.push({
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        query: {},
        body: undefined,
        status: 0,
        at: Date.now(),
      });
      req.socket.destroy();
      return;
    }
    inFlight += 1;
    peak = Math.max(peak, inFlight);
    res.once('close', () => (inFlight -= 1));
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const query = Object.fromEntries(url.searchParams);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        const record: RecordedRequest = {
          method: req.method ?? 'GET',
          path: url.pathname,
          query,
          body: undefined,
          status: 0,
          at: Date.now(),
        };
        requests.push(record);
        // Chaos decided up front, one draw per request, so the sequence replays from the seed.
        const roll = chaos ? random() : 1;
        let lose: 'drop' | 'hang' | undefined;
        const reply = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
          if (lose) {
            record.status = -1;
            const destroy = () => req.socket.destroy();
            if (lose === 'drop') destroy();
            else setTimeout(destroy, chaos?.hangMs ?? 20_000).unref();
            return;
          }
          record.status = status;
          const etag = (payload as { meta?: { version?: string } } | undefined)?.meta?.version;
          res.writeHead(status, { 'content-type': SCIM_JSON, ...(etag ? { etag } : {}), ...headers });
          res.end(payload === undefined ? '' : JSON.stringify(payload));
        };
        try {
          if (latency > 0) await new Promise((r) => setTimeout(r, latency));
          const dropped = drops.findIndex(
            (d) => (!d.method || d.method === req.method) && (!d.path || d.path.test(url.pathname)),
          );
          if (dropped >= 0) {
            drops.splice(dropped, 1);
            lose = 'drop';
          }
          const held = holds.findIndex(
            (h) =>
              (!h.match.method || h.match.method === req.method) &&
              (!h.match.path || h.match.path.test(url.pathname)),
          );
          if (held >= 0) {
            const [hold] = holds.splice(held, 1);
            hold!.arrive();
            await hold!.released;
          }
          if (chaos) {
            let edge = 0;
            const hit = (rate: number | undefined) => roll < (edge += rate ?? 0);
            if (hit(chaos.errorRate)) return reply(500, scimError(500, 'Injected chaos'));
            if (hit(chaos.throttleRate))
              return reply(429, scimError(429, 'Injected chaos'), {
                'retry-after': String(chaos.retryAfterSeconds ?? 1),
              });
            if (hit(chaos.slowRate)) await new Promise((r) => setTimeout(r, chaos?.slowMs ?? 2_000));
            else if (hit(chaos.dropRate)) lose = 'drop';
            else if (hit(chaos.hangRate)) lose = 'hang';
          }
          if (rateLimit) {
            const now = Date.now();
            if (now - windowStart >= rateLimit.windowMs) {
              windowStart = now;
              windowCount = 0;
            }
            if (++windowCount > rateLimit.requests) {
              const wait = Math.ceil((windowStart + rateLimit.windowMs - now) / 1000);
              return reply(429, scimError(429, 'Too many requests'), { 'retry-after': String(wait) });
            }
          }
          const fault = faults.find(
            (f) =>
              f.count > 0 &&
              (!f.match?.method || f.match.method === req.method) &&
              (!f.match?.path || f.match.path.test(url.pathname)),
          );
          if (fault) {
            fault.count -= 1;
            return reply(fault.status, fault.body ?? scimError(fault.status, 'Injected fault'), {
              ...(fault.retryAfter !== undefined ? { 'retry-after': fault.retryAfter } : {}),
            });
          }
          if (options.token && req.headers.authorization !== `Bearer ${options.token}`)
            throw new UnauthorizedError();
          if (text.trim()) {
            try {
              body = JSON.parse(text);
            } catch {
              throw new ScimError(400, 'invalidSyntax', 'The body is not JSON');
            }
          }
          record.body = body;
          const prefix = '/scim/v2/';
          if (!url.pathname.startsWith(prefix)) throw new NotFoundError();
          const segments = url.pathname
            .slice(prefix.length)
            .split('/')
            .filter(Boolean)
            .map(decodeURIComponent);
          const result = await handle(req.method ?? 'GET', segments, query, body);
          reply(result.status, result.body);
        } catch (e) {
          const error = e instanceof ScimError ? e : new ScimError(500, undefined, 'Internal error');
          if (!(e instanceof ScimError)) console.error(e);
          reply(error.status, error.toJSON());
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/scim/v2`;

  return {
    baseUrl,
    requests,
    store,
    seed,
    failNext: (fault) => faults.push({ ...fault }),
    peakInFlight: (reset = false) => {
      const seen = peak;
      if (reset) peak = inFlight;
      return seen;
    },
    dropNext: (match) => void drops.push(match),
    holdNext: (match) => {
      let arrive!: () => void;
      let release!: () => void;
      const arrived = new Promise<void>((r) => (arrive = r));
      const released = new Promise<void>((r) => (release = r));
      holds.push({ match, arrive, released });
      return { arrived, release };
    },
    setLatency: (ms) => (latency = ms),
    setRateLimit: (limit) => {
      rateLimit = limit;
      windowStart = 0;
      windowCount = 0;
    },
    setOptions: (o) => (options = { ...options, ...o }),
    setChaos: (c) => {
      chaos = c;
      random = mulberry32(c?.seed ?? 1);
    },
    setOutage: (d) => {
      down = d;
      if (d) server.closeAllConnections();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function serviceProviderConfig(o: ScimTestServerOptions): JsonObject {
  return {
    schemas: [SERVICE_PROVIDER_CONFIG_URN],
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: o.filterSupported !== false, maxResults: o.maxPageSize ?? 100 },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: true },
    pagination: {
      cursor: o.cursorPaging !== false,
      index: true,
      defaultPaginationMethod: 'index',
      defaultPageSize: o.maxPageSize ?? 100,
      maxPageSize: o.maxPageSize ?? 100,
      cursorTimeout: 3600,
    },
    authenticationSchemes: o.token
      ? [{ type: 'oauthbearertoken', name: 'Bearer token', description: 'RFC 6750 bearer token' }]
      : [],
  };
}

function scimError(status: number, detail: string): JsonObject {
  return new ScimError(status, undefined, detail).toJSON() as unknown as JsonObject;
}

/** RFC 9865 §4 `invalidCursor` (not one of RFC 7644's scimTypes, so not in `ScimType`). */
class InvalidCursorError extends ScimError {
  constructor() {
    super(400, undefined, 'The cursor is not valid');
  }
  override toJSON() {
    return { ...super.toJSON(), scimType: 'invalidCursor' } as unknown as ReturnType<ScimError['toJSON']>;
  }
}

function encodeCursor(offset: number): string {
  return Buffer.from(`o:${offset}`).toString('base64url');
}

function decodeCursor(cursor: string): number {
  const m = /^o:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!m) throw new InvalidCursorError();
  return Number(m[1]);
}

/** A small seeded PRNG (mulberry32): chaos sequences replay from their seed. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Users by id, with an index on lower-cased userName kept by every set and delete (tests included). */
class NameIndexedMap extends Map<string, JsonObject> {
  private readonly byName = new Map<string, Set<string>>();

  override set(id: string, user: JsonObject): this {
    this.unindex(id);
    super.set(id, user);
    const key = String(user.userName ?? '').toLowerCase();
    if (!this.byName.has(key)) this.byName.set(key, new Set());
    this.byName.get(key)!.add(id);
    return this;
  }

  override delete(id: string): boolean {
    this.unindex(id);
    return super.delete(id);
  }

  override clear(): void {
    this.byName?.clear();
    super.clear();
  }

  named(userName: string): JsonObject[] {
    return [...(this.byName.get(userName.toLowerCase()) ?? [])].map((id) => this.get(id)!).filter(Boolean);
  }

  private unindex(id: string): void {
    const old = this.get(id);
    if (old) this.byName.get(String(old.userName ?? '').toLowerCase())?.delete(id);
  }
}
