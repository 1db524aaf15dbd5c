import {
  HttpRequestError,
  ScimClient,
  type ScimCapabilities,
  type ScimClientOptions,
} from '@hub/scim-client';
import { printValue, type JsonObject, type ResourceTypeSchemas } from '@hub/scim';
import type { ConnectionCheck, SourceBatch, SourceConnector, SourceCursor, SourceRecord } from '../connector';
import { ConnectorError } from '../connector.error';
import { AttributeMapper } from '../mapping/attribute-mapper';
import type { AttributeMapping, TransformHook } from '../mapping/mapping.types';
import { jsonSourceView } from '../mapping/source-view';
import { toConnectorError } from '../rest/rest-connector';

export interface ScimUpstreamResourceConfig {
  readonly resourceType: 'User' | 'Group' | (string & {});
  /** Endpoint when the server has no /ResourceTypes (default `/Users`, `/Groups`). */
  readonly endpoint?: string;
  /** A SCIM filter that scopes what is pulled (e.g. `active eq true`). */
  readonly filter?: string;
  /** Renames and transforms; without one the upstream resource is taken as is (minus id, meta, groups). */
  readonly mapping?: AttributeMapping;
}

export interface ScimUpstreamConfig extends ScimClientOptions {
  /** Default: Users then Groups. */
  readonly resources?: readonly ScimUpstreamResourceConfig[];
  /** Page size asked for. Default 100. */
  readonly pageSize?: number;
  /** `auto` (default): cursor paging when the server advertises it (RFC 9865), else index. */
  readonly pagination?: 'auto' | 'index' | 'cursor';
  /**
   * The next delta filters `meta.lastModified gt` the server's own clock (HTTP `Date`) at the
   * start of this pull, minus this overlap (second-precision Date, in-flight writes). Default 60 s.
   */
  readonly deltaOverlapMs?: number;
}

export interface ScimUpstreamDeps {
  readonly schemas?: Readonly<Record<string, ResourceTypeSchemas>>;
  readonly transform?: TransformHook;
  readonly now?: () => Date;
}

const CURSOR_KIND = 'scim';
const SERVER_OWNED = new Set(['id', 'meta', 'groups']);

/**
 * Pulls Users and Groups from another SCIM service provider (an HR system that is a SCIM
 * server, another hub). Deltas use `filter=meta.lastModified gt "…"` when the server says it
 * filters (and fall back to a full pull if it then refuses that filter); deletions need a full
 * pull, as SCIM lists only what exists.
 */
export class ScimUpstreamConnector implements SourceConnector {
  private readonly client: ScimClient;
  private readonly resources: readonly ScimUpstreamResourceConfig[];
  private readonly mappers = new Map<string, AttributeMapper>();
  private readonly now: () => Date;
  private readonly configId: string;

  constructor(
    private readonly config: ScimUpstreamConfig,
    deps: ScimUpstreamDeps = {},
  ) {
    this.resources = config.resources ?? [{ resourceType: 'User' }, { resourceType: 'Group' }];
    if (this.resources.length === 0)
      throw new ConnectorError('config', 'Choose at least one resource type to pull');
    for (const r of this.resources) {
      if (!r.mapping) continue;
      const schemas = deps.schemas?.[r.resourceType];
      this.mappers.set(
        r.resourceType,
        new AttributeMapper(r.resourceType, r.mapping, {
          ...(schemas ? { schemas } : {}),
          ...(deps.transform ? { transform: deps.transform } : {}),
        }),
      );
    }
    try {
      this.client = new ScimClient(config);
    } catch (e) {
      throw toConnectorError(e);
    }
    this.now = deps.now ?? (() => new Date());
    this.configId = [
      config.baseUrl,
      ...this.resources.map((r) => `${r.resourceType}:${r.filter ?? ''}`),
    ].join('|');
  }

  async testConnection(): Promise<ConnectionCheck> {
    const caps = await this.discover();
    const first = this.resources[0]!;
    try {
      for await (const _ of this.client.list(this.endpoint(first, caps), { count: 1, maxPages: 1 })) break;
    } catch (e) {
      throw toConnectorError(e);
    }
    return {
      detail: `${this.config.baseUrl}: filter ${caps.filter.supported ? 'supported' : 'not supported'}, ${
        caps.pagination.cursor ? 'cursor' : 'index'
      } paging`,
    };
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
    await this.client.close();
  }

  private async *pull(since: string | undefined): AsyncGenerator<SourceBatch> {
    // Capabilities are read at the start of every pull: servers change them (upgrades, feature flags).
    const caps = await this.discover();
    const pagination = this.config.pagination ?? 'auto';
    const usesCursor = pagination === 'cursor' || (pagination === 'auto' && caps.pagination.cursor);
    const deltaFilter = (r: ScimUpstreamResourceConfig) =>
      since === undefined ? r.filter : and(r.filter, `meta.lastModified gt ${printValue(since)}`);
    const mode: 'full' | 'delta' =
      since !== undefined && caps.filter.supported && (await this.acceptsDeltaFilter(caps, deltaFilter))
        ? 'delta'
        : 'full';
    let serverStart: Date | undefined;
    for (const resource of this.resources) {
      const filter = mode === 'delta' ? deltaFilter(resource) : resource.filter;
      const pages = this.client.list(this.endpoint(resource, caps), {
        ...(filter ? { filter } : {}),
        count: this.config.pageSize ?? 100,
        pagination: usesCursor ? 'cursor' : 'index',
      });
      for (;;) {
        let page;
        try {
          page = await pages.next();
        } catch (e) {
          throw toConnectorError(e);
        }
        if (page.done) break;
        serverStart ??= page.value.serverDate ?? this.now();
        const records = page.value.resources.map((r) => this.toRecord(resource, r));
        if (records.length) yield { mode, records };
      }
    }
    const overlap = this.config.deltaOverlapMs ?? 60_000;
    let watermark = new Date((serverStart ?? this.now()).getTime() - overlap).toISOString();
    if (since && mode === 'delta' && since > watermark) watermark = since;
    yield { mode, records: [], cursor: { kind: CURSOR_KIND, config: this.configId, watermark } };
  }

  /**
   * "Supports filter" rarely means "on every attribute": one cheap request per resource type
   * checks the server takes the lastModified filter, before any batch is yielded, so a pull is
   * wholly delta or wholly full (and a full one lets the caller infer deletions).
   */
  private async acceptsDeltaFilter(
    caps: ScimCapabilities,
    filterOf: (r: ScimUpstreamResourceConfig) => string | undefined,
  ): Promise<boolean> {
    for (const resource of this.resources) {
      try {
        const filter = filterOf(resource);
        await this.client
          .list(this.endpoint(resource, caps), { ...(filter ? { filter } : {}), count: 1, maxPages: 1 })
          .next();
      } catch (e) {
        if (e instanceof HttpRequestError && (e.status === 400 || e.status === 501)) return false;
        throw toConnectorError(e);
      }
    }
    return true;
  }

  private toRecord(resource: ScimUpstreamResourceConfig, upstream: JsonObject): SourceRecord {
    const id = upstream.id;
    if (typeof id !== 'string' || id === '')
      throw new ConnectorError(
        'remote',
        `${this.config.baseUrl} returned a ${resource.resourceType} without an id`,
      );
    const mapper = this.mappers.get(resource.resourceType);
    let attributes: JsonObject;
    if (mapper) attributes = mapper.map(jsonSourceView(upstream));
    else {
      attributes = {};
      for (const [k, v] of Object.entries(upstream))
        if (!SERVER_OWNED.has(k) && k !== 'members') attributes[k] = v;
    }
    const externalId = typeof upstream.externalId === 'string' ? upstream.externalId : undefined;
    delete attributes.externalId;
    const members = Array.isArray(upstream.members)
      ? upstream.members
          .map((m) => (typeof m === 'object' && m !== null ? (m as JsonObject).value : undefined))
          .filter((v): v is string => typeof v === 'string' && v !== '')
      : undefined;
    return {
      resourceType: resource.resourceType,
      sourceKey: id,
      ...(externalId ? { externalId } : {}),
      attributes,
      ...(resource.resourceType === 'Group' ? { members: members ?? [] } : {}),
    };
  }

  private endpoint(resource: ScimUpstreamResourceConfig, caps: ScimCapabilities): string {
    return (
      resource.endpoint ??
      caps.resourceTypes.get(resource.resourceType)?.endpoint ??
      `/${resource.resourceType}s`
    );
  }

  private async discover(): Promise<ScimCapabilities> {
    try {
      return await this.client.discover();
    } catch (e) {
      throw toConnectorError(e);
    }
  }
}

function and(a: string | undefined, b: string): string {
  return a ? `(${a}) and ${b}` : b;
}
