import { HttpClient, HttpRequestError, safeUrl, type HttpResponse } from '@hub/scim-client';
import type { ConnectionCheck, SourceBatch, SourceConnector, SourceCursor, SourceRecord } from '../connector';
import { ConnectorError } from '../connector.error';
import { AttributeMapper } from '../mapping/attribute-mapper';
import { jsonSourceView, readPath } from '../mapping/source-view';
import type { RestConnectorConfig, RestConnectorDeps, RestResourceConfig } from './rest-connector.config';
import { nextLink } from './link-header';

const CURSOR_KIND = 'rest';

interface ResourcePlan {
  readonly config: RestResourceConfig;
  readonly mapper: AttributeMapper;
}

interface PageRequest {
  readonly path: string;
  readonly query: Record<string, string | number | undefined>;
}

/**
 * A JSON API read without code: per resource a path, a records path, a key, a mapping and a
 * pagination style (page/size, offset/limit, cursor in the body, `Link` header). One batch per
 * page. Auth, rate limit and retries (`Retry-After` on 429/503) come from `HttpClient`.
 */
export class RestConnector implements SourceConnector {
  private readonly http: HttpClient;
  private readonly plans: ResourcePlan[];
  private readonly now: () => Date;
  private readonly configId: string;

  constructor(
    private readonly config: RestConnectorConfig,
    deps: RestConnectorDeps = {},
  ) {
    if (!Array.isArray(config.resources) || config.resources.length === 0)
      throw new ConnectorError('config', 'Configure at least one resource (path, key field, mapping)');
    this.plans = config.resources.map((r) => {
      if (!r.path || !r.keyField)
        throw new ConnectorError('config', `${r.resourceType}: path and keyField are required`);
      if (!r.pagination?.style)
        throw new ConnectorError('config', `${r.resourceType}: choose a pagination style`);
      const schemas = deps.schemas?.[r.resourceType];
      return {
        config: r,
        mapper: new AttributeMapper(r.resourceType, r.mapping, {
          ...(schemas ? { schemas } : {}),
          ...(deps.transform ? { transform: deps.transform } : {}),
        }),
      };
    });
    try {
      this.http = new HttpClient({
        baseUrl: config.baseUrl,
        ...(config.auth ? { auth: config.auth } : {}),
        ...(config.tls ? { tls: config.tls } : {}),
        ...(config.rateLimit ? { rateLimit: config.rateLimit } : {}),
        ...(config.retry ? { retry: config.retry } : {}),
        ...(config.timeouts ? { timeouts: config.timeouts } : {}),
        ...(deps.sleep ? { sleep: deps.sleep } : {}),
        userAgent: 'scim-hub',
      });
    } catch (e) {
      throw toConnectorError(e);
    }
    this.now = deps.now ?? (() => new Date());
    this.configId = config.resources
      .map((r) => `${r.resourceType}:${r.path}:${r.delta?.param ?? ''}`)
      .join('|');
  }

  async testConnection(): Promise<ConnectionCheck> {
    const plan = this.plans[0]!;
    const first = this.firstRequest(plan.config, undefined);
    const res = await this.get(first);
    const records = this.recordsOf(plan.config, res);
    return { detail: `Read ${records.length} record(s) from ${safeUrl(res.url)}` };
  }

  fullPull(): AsyncIterable<SourceBatch> {
    return this.pull(undefined);
  }

  deltaPull(cursor: SourceCursor): AsyncIterable<SourceBatch> {
    const usable =
      cursor?.kind === CURSOR_KIND && cursor.config === this.configId && typeof cursor.watermark === 'string';
    return this.pull(usable ? String(cursor.watermark) : undefined);
  }

  async close(): Promise<void> {
    await this.http.close();
  }

  private async *pull(since: string | undefined): AsyncGenerator<SourceBatch> {
    const startedAt = this.now().getTime();
    // A delta is only a delta if every resource can filter by time; otherwise everything is read.
    const delta = since !== undefined && this.plans.every((p) => p.config.delta);
    const mode = delta ? 'delta' : 'full';
    for (const plan of this.plans) {
      yield* this.pullResource(plan, delta ? since : undefined, mode);
    }
    const overlap = this.config.deltaOverlapMs ?? 5 * 60_000;
    let watermark = new Date(startedAt - overlap).toISOString();
    if (since && since > watermark) watermark = since;
    yield { mode, records: [], cursor: { kind: CURSOR_KIND, config: this.configId, watermark } };
  }

  private async *pullResource(
    plan: ResourcePlan,
    since: string | undefined,
    mode: 'full' | 'delta',
  ): AsyncGenerator<SourceBatch> {
    const r = plan.config;
    const maxPages = this.config.maxPages ?? 100_000;
    let request: PageRequest | undefined = this.firstRequest(r, since);
    let offset = 0;
    let page = 0;
    let previousCursor: string | undefined;
    while (request) {
      if (++page > maxPages)
        throw new ConnectorError(
          'remote',
          `${r.path}: more than ${maxPages} pages; is pagination configured right?`,
        );
      const res = await this.get(request);
      const rawRecords = this.recordsOf(r, res);
      const records: SourceRecord[] = [];
      const deletions: string[] = [];
      for (const raw of rawRecords) {
        const key = readPath(raw, r.keyField);
        if (key === undefined || key === null || key === '' || typeof key === 'object')
          throw new ConnectorError('remote', `${r.path}: a record has no usable ${r.keyField}`);
        const sourceKey = String(key);
        if (r.deletedWhen && r.deletedWhen.values.includes(readPath(raw, r.deletedWhen.field) as string)) {
          deletions.push(sourceKey);
          continue;
        }
        records.push(this.toRecord(plan, raw, sourceKey));
      }
      if (records.length || deletions.length)
        yield { mode, records, ...(deletions.length ? { deletions } : {}) };

      const p = r.pagination;
      request = undefined;
      if (rawRecords.length === 0) break;
      switch (p.style) {
        case 'none':
          break;
        case 'page': {
          const size = p.pageSize ?? 100;
          if (rawRecords.length >= size)
            request = this.pageRequest(r, since, {
              [p.pageParam ?? 'page']: (p.firstPage ?? 1) + page,
              [p.sizeParam ?? 'size']: size,
            });
          break;
        }
        case 'offset': {
          const limit = p.limit ?? 100;
          offset += rawRecords.length;
          const total = p.totalPath ? Number(readPath(res.body, p.totalPath)) : undefined;
          const more =
            total !== undefined && Number.isFinite(total) ? offset < total : rawRecords.length >= limit;
          if (more)
            request = this.pageRequest(r, since, {
              [p.offsetParam ?? 'offset']: offset,
              [p.limitParam ?? 'limit']: limit,
            });
          break;
        }
        case 'cursor': {
          const next = readPath(res.body, p.cursorPath);
          if (typeof next === 'string' && next !== '') {
            if (next === previousCursor)
              throw new ConnectorError(
                'remote',
                `${r.path}: the next cursor repeats; pagination does not advance`,
              );
            previousCursor = next;
            request = this.pageRequest(r, since, {
              [p.cursorParam ?? 'cursor']: next,
              ...(p.sizeParam ? { [p.sizeParam]: p.pageSize ?? 100 } : {}),
            });
          } else if (typeof next === 'number') {
            request = this.pageRequest(r, since, { [p.cursorParam ?? 'cursor']: next });
          }
          break;
        }
        case 'link': {
          const next = nextLink(res.headers.link, res.url);
          if (next) {
            if (next === res.url)
              throw new ConnectorError('remote', `${r.path}: the next link points to the same page`);
            request = { path: next, query: {} };
          }
          break;
        }
      }
    }
  }

  private toRecord(plan: ResourcePlan, raw: unknown, sourceKey: string): SourceRecord {
    const r = plan.config;
    const attributes = plan.mapper.map(jsonSourceView(raw));
    let externalId: string | undefined;
    if (r.externalIdField) {
      const v = readPath(raw, r.externalIdField);
      if (v !== undefined && v !== null && v !== '') externalId = String(v);
    }
    if ('externalId' in attributes) {
      if (externalId === undefined && typeof attributes.externalId === 'string')
        externalId = attributes.externalId;
      delete attributes.externalId;
    }
    let members: string[] | undefined;
    if (r.membersField) {
      const list = readPath(raw, r.membersField);
      members = (Array.isArray(list) ? list : list === undefined || list === null ? [] : [list])
        .map((m) => (r.memberKeyField && typeof m === 'object' ? readPath(m, r.memberKeyField) : m))
        .filter((m) => m !== undefined && m !== null && m !== '')
        .map(String);
    }
    return {
      resourceType: r.resourceType,
      sourceKey,
      ...(externalId !== undefined ? { externalId } : {}),
      attributes,
      ...(members ? { members } : {}),
      ...(this.config.keepRaw ? { raw } : {}),
    };
  }

  private firstRequest(r: RestResourceConfig, since: string | undefined): PageRequest {
    const p = r.pagination;
    switch (p.style) {
      case 'page':
        return this.pageRequest(r, since, {
          [p.pageParam ?? 'page']: p.firstPage ?? 1,
          [p.sizeParam ?? 'size']: p.pageSize ?? 100,
        });
      case 'offset':
        return this.pageRequest(r, since, {
          [p.offsetParam ?? 'offset']: 0,
          [p.limitParam ?? 'limit']: p.limit ?? 100,
        });
      case 'cursor':
      case 'link':
        return this.pageRequest(r, since, p.sizeParam ? { [p.sizeParam]: p.pageSize ?? 100 } : {});
      default:
        return this.pageRequest(r, since, {});
    }
  }

  private pageRequest(
    r: RestResourceConfig,
    since: string | undefined,
    paging: Record<string, string | number>,
  ): PageRequest {
    const query: Record<string, string | number | undefined> = { ...r.query, ...paging };
    if (since !== undefined && r.delta) query[r.delta.param] = formatWatermark(since, r.delta.format);
    return { path: r.path, query };
  }

  private recordsOf(r: RestResourceConfig, res: HttpResponse): unknown[] {
    const records = r.recordsPath ? readPath(res.body, r.recordsPath) : res.body;
    if (records === undefined || records === null) return [];
    if (!Array.isArray(records))
      throw new ConnectorError(
        'config',
        `${safeUrl(res.url)}: ${r.recordsPath ? `"${r.recordsPath}"` : 'the body'} is not an array of records; check recordsPath`,
      );
    return records;
  }

  private async get(req: PageRequest): Promise<HttpResponse> {
    try {
      return await this.http.request({ method: 'GET', path: req.path, query: req.query });
    } catch (e) {
      throw toConnectorError(e);
    }
  }
}

function formatWatermark(iso: string, format: 'iso' | 'epochSeconds' | 'epochMillis' = 'iso'): string {
  const ms = Date.parse(iso);
  if (format === 'epochMillis') return String(ms);
  if (format === 'epochSeconds') return String(Math.floor(ms / 1000));
  return iso;
}

export function toConnectorError(e: unknown): ConnectorError {
  if (e instanceof ConnectorError) return e;
  if (e instanceof HttpRequestError) {
    switch (e.kind) {
      case 'auth':
        return new ConnectorError('auth', e.message, { cause: e, retryable: false });
      case 'tls':
        return new ConnectorError('tls', e.message, { cause: e, retryable: false });
      case 'unreachable':
        return new ConnectorError('unreachable', e.message, { cause: e });
      case 'protocol':
        return new ConnectorError(e.status === undefined ? 'config' : 'remote', e.message, { cause: e });
      case 'rateLimited':
        return new ConnectorError('remote', `${e.message}: rate limited beyond the retry budget`, {
          cause: e,
        });
      default:
        return new ConnectorError(e.status === 404 ? 'config' : 'remote', e.message, {
          cause: e,
          retryable: e.status === undefined || e.status >= 500,
        });
    }
  }
  return new ConnectorError('remote', e instanceof Error ? e.message : String(e), { cause: e });
}
