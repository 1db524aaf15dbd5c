import {
  LIST_RESPONSE_URN,
  SEARCH_REQUEST_URN,
  PATCH_OP_URN,
  type JsonObject,
  type PatchOperation,
} from '@hub/scim';
import { HttpClient, type HttpClientOptions, type HttpResponse } from './http/http-client';
import { HttpRequestError } from './http/http-error';
import { parseCapabilities, type ScimCapabilities } from './scim-capabilities';

export type ScimClientOptions = HttpClientOptions;

export interface ListOptions {
  readonly filter?: string;
  readonly attributes?: readonly string[];
  readonly excludedAttributes?: readonly string[];
  readonly sortBy?: string;
  readonly sortOrder?: 'ascending' | 'descending';
  /** Page size asked for (the server may serve fewer). Default 100. */
  readonly count?: number;
  /** `index` (RFC 7644 startIndex/count, default) or `cursor` (RFC 9865). */
  readonly pagination?: 'index' | 'cursor';
  /** Stop after this many pages (a loop guard). Default 100 000. */
  readonly maxPages?: number;
  readonly signal?: AbortSignal;
}

export interface ListPage {
  readonly resources: JsonObject[];
  readonly totalResults: number | undefined;
  /** The server's clock when it answered (HTTP `Date`), for watermarks that must not trust ours. */
  readonly serverDate?: Date;
}

/** One page of a listing, with the cursor to the next one (RFC 9865) when the server gave it. */
export interface ListPageAnswer extends ListPage {
  readonly nextCursor?: string;
}

/** Where one page starts: an index (RFC 7644 §3.4.2.4) or a cursor (RFC 9865; '' for the first page). */
export type PageStart = { readonly startIndex: number } | { readonly cursor: string };

export interface WriteOptions {
  /** Sent as If-Match (RFC 7644 §3.14). */
  readonly ifMatch?: string;
  readonly signal?: AbortSignal;
}

const SCIM_JSON = 'application/scim+json';

/**
 * An outbound SCIM 2.0 client for one service provider (RFC 7644), on one pooled `HttpClient`.
 * `endpoint` arguments are resource type endpoints such as `/Users`. Failures are
 * `HttpRequestError`s carrying the status and, from SCIM error bodies, `scimType` and `detail`.
 */
export class ScimClient {
  private readonly http: HttpClient;

  constructor(options: ScimClientOptions) {
    this.http = new HttpClient({
      ...options,
      headers: { accept: `${SCIM_JSON}, application/json`, ...options.headers },
    });
  }

  /** Reads `/ServiceProviderConfig`, `/ResourceTypes` and `/Schemas` (the last two are optional on some servers). */
  async discover(signal?: AbortSignal): Promise<ScimCapabilities> {
    const spc = await this.send({
      method: 'GET',
      path: '/ServiceProviderConfig',
      ...(signal ? { signal } : {}),
    });
    const optional = async (path: string) => {
      try {
        return (await this.send({ method: 'GET', path, ...(signal ? { signal } : {}) })).body;
      } catch (e) {
        if (e instanceof HttpRequestError && (e.status === 404 || e.status === 501)) return undefined;
        throw e;
      }
    };
    const [resourceTypes, schemas] = await Promise.all([optional('/ResourceTypes'), optional('/Schemas')]);
    return parseCapabilities(spc.body, resourceTypes, schemas);
  }

  async get(
    endpoint: string,
    id: string,
    options: Omit<ListOptions, 'filter' | 'count' | 'pagination'> = {},
  ): Promise<JsonObject> {
    const res = await this.send({
      method: 'GET',
      path: `${endpoint}/${encodeURIComponent(id)}`,
      query: projection(options),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return resource(res);
  }

  /** Every matching resource, one page at a time (bounded memory). */
  async *list(endpoint: string, options: ListOptions = {}): AsyncGenerator<ListPage> {
    const count = options.count ?? 100;
    const maxPages = options.maxPages ?? 100_000;
    let startIndex = 1;
    let cursor: string | undefined = '';
    for (let page = 1; ; page++) {
      if (page > maxPages) throw new HttpRequestError('protocol', `${endpoint}: more than ${maxPages} pages`);
      const list = await this.page(endpoint, options.pagination === 'cursor' ? { cursor } : { startIndex }, {
        ...options,
        count,
      });
      yield {
        resources: list.resources,
        totalResults: list.totalResults,
        ...(list.serverDate ? { serverDate: list.serverDate } : {}),
      };
      if (options.pagination === 'cursor') {
        if (!list.nextCursor) return;
        if (list.nextCursor === cursor)
          throw new HttpRequestError('protocol', `${endpoint}: nextCursor does not advance`);
        cursor = list.nextCursor;
      } else {
        if (list.resources.length === 0) return;
        startIndex += list.resources.length;
        if (list.totalResults !== undefined && startIndex > list.totalResults) return;
      }
    }
  }

  /** One page of a listing (`list` reads them all in order; a reader may ask for several at once). */
  async page(
    endpoint: string,
    start: PageStart,
    options: Omit<ListOptions, 'pagination' | 'maxPages'> = {},
  ): Promise<ListPageAnswer> {
    const res = await this.send({
      method: 'GET',
      path: endpoint,
      query: {
        ...projection(options),
        ...(options.filter !== undefined ? { filter: options.filter } : {}),
        ...(options.sortBy ? { sortBy: options.sortBy } : {}),
        ...(options.sortOrder ? { sortOrder: options.sortOrder } : {}),
        count: options.count ?? 100,
        ...start,
      },
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const list = listResponse(res);
    const date = serverDate(res);
    return { ...list, ...(date ? { serverDate: date } : {}) };
  }

  /** One page of `POST {endpoint}/.search` (RFC 7644 §3.4.3). */
  async search(
    endpoint: string,
    request: Omit<ListOptions, 'pagination' | 'maxPages'> & { startIndex?: number },
  ): Promise<ListPage> {
    const { signal, attributes, excludedAttributes, ...rest } = request;
    const res = await this.send({
      method: 'POST',
      path: `${endpoint.replace(/\/$/, '')}/.search`,
      json: {
        schemas: [SEARCH_REQUEST_URN],
        ...rest,
        ...(attributes ? { attributes: [...attributes] } : {}),
        ...(excludedAttributes ? { excludedAttributes: [...excludedAttributes] } : {}),
      },
      ...(signal ? { signal } : {}),
    });
    const list = listResponse(res);
    return { resources: list.resources, totalResults: list.totalResults };
  }

  async create(endpoint: string, body: JsonObject, options: WriteOptions = {}): Promise<JsonObject> {
    return resource(await this.send({ method: 'POST', path: endpoint, json: body, ...signalOf(options) }));
  }

  async replace(
    endpoint: string,
    id: string,
    body: JsonObject,
    options: WriteOptions = {},
  ): Promise<JsonObject> {
    return resource(
      await this.send({
        method: 'PUT',
        path: `${endpoint}/${encodeURIComponent(id)}`,
        json: body,
        headers: ifMatch(options),
        ...signalOf(options),
      }),
    );
  }

  /** RFC 7644 §3.5.2; undefined when the server answers 204 without the resource. */
  async patch(
    endpoint: string,
    id: string,
    operations: readonly PatchOperation[],
    options: WriteOptions = {},
  ): Promise<JsonObject | undefined> {
    const res = await this.send({
      method: 'PATCH',
      path: `${endpoint}/${encodeURIComponent(id)}`,
      json: { schemas: [PATCH_OP_URN], Operations: operations },
      headers: ifMatch(options),
      ...signalOf(options),
    });
    return res.status === 204 || res.body === undefined ? undefined : resource(res);
  }

  async delete(endpoint: string, id: string, options: WriteOptions = {}): Promise<void> {
    await this.send({
      method: 'DELETE',
      path: `${endpoint}/${encodeURIComponent(id)}`,
      headers: ifMatch(options),
      ...signalOf(options),
    });
  }

  async close(): Promise<void> {
    await this.http.close();
  }

  private send(req: Parameters<HttpClient['request']>[0]): Promise<HttpResponse> {
    return this.http.request({ ...req, ...(req.json !== undefined ? { contentType: SCIM_JSON } : {}) });
  }
}

function serverDate(res: HttpResponse): Date | undefined {
  const header = res.headers.date;
  const ms = typeof header === 'string' ? Date.parse(header) : NaN;
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

function projection(options: { attributes?: readonly string[]; excludedAttributes?: readonly string[] }) {
  return {
    ...(options.attributes?.length ? { attributes: options.attributes.join(',') } : {}),
    ...(options.excludedAttributes?.length
      ? { excludedAttributes: options.excludedAttributes.join(',') }
      : {}),
  };
}

function ifMatch(options: WriteOptions): Record<string, string> {
  return options.ifMatch ? { 'if-match': options.ifMatch } : {};
}

function signalOf(options: WriteOptions) {
  return options.signal ? { signal: options.signal } : {};
}

function resource(res: HttpResponse): JsonObject {
  if (typeof res.body !== 'object' || res.body === null || Array.isArray(res.body))
    throw new HttpRequestError('protocol', `${res.url}: expected a SCIM resource`, { status: res.status });
  return res.body as JsonObject;
}

/** Reads a ListResponse leniently about `schemas` (some servers omit it) but strictly about shape. */
function listResponse(res: HttpResponse): {
  resources: JsonObject[];
  totalResults: number | undefined;
  nextCursor?: string;
} {
  const body = res.body as Record<string, unknown> | undefined;
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new HttpRequestError('protocol', `${new URL(res.url).pathname}: expected a ListResponse`, {
      status: res.status,
    });
  if (Array.isArray(body.schemas) && !body.schemas.includes(LIST_RESPONSE_URN))
    throw new HttpRequestError('protocol', `${new URL(res.url).pathname}: not a ListResponse`, {
      status: res.status,
    });
  if (body.Resources === undefined && typeof body.totalResults !== 'number')
    throw new HttpRequestError('protocol', `${new URL(res.url).pathname}: expected a ListResponse`, {
      status: res.status,
    });
  const resources = body.Resources ?? [];
  if (!Array.isArray(resources))
    throw new HttpRequestError('protocol', `${new URL(res.url).pathname}: Resources is not an array`, {
      status: res.status,
    });
  const total = typeof body.totalResults === 'number' ? body.totalResults : undefined;
  const next = typeof body.nextCursor === 'string' && body.nextCursor !== '' ? body.nextCursor : undefined;
  return { resources: resources as JsonObject[], totalResults: total, ...(next ? { nextCursor: next } : {}) };
}
