import type { JsonObject } from '@hub/scim';

/** What a service provider says it can do (RFC 7643 §5, RFC 9865 §6), with RFC defaults when silent. */
export interface ScimCapabilities {
  readonly patch: boolean;
  readonly bulk: {
    readonly supported: boolean;
    readonly maxOperations: number;
    readonly maxPayloadSize: number;
  };
  readonly filter: { readonly supported: boolean; readonly maxResults: number | undefined };
  readonly sort: boolean;
  readonly etag: boolean;
  readonly changePassword: boolean;
  readonly pagination: {
    readonly index: boolean;
    readonly cursor: boolean;
    readonly defaultMethod: 'index' | 'cursor';
    readonly defaultPageSize: number | undefined;
    readonly maxPageSize: number | undefined;
  };
  readonly authenticationSchemes: readonly string[];
  /** Resource type name → endpoint (`User` → `/Users`). */
  readonly resourceTypes: ReadonlyMap<
    string,
    { readonly endpoint: string; readonly schema: string; readonly extensions: readonly string[] }
  >;
  /** Schema URNs the server publishes (empty when it has no /Schemas). */
  readonly schemas: readonly string[];
  /** The raw ServiceProviderConfig, for anything not modelled here. */
  readonly raw: JsonObject;
}

export function parseCapabilities(
  spc: unknown,
  resourceTypes?: unknown,
  schemas?: unknown,
): ScimCapabilities {
  const c = obj(spc);
  const pagination = obj(c.pagination);
  const flag = (o: unknown) => obj(o).supported === true;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const types = new Map<string, { endpoint: string; schema: string; extensions: string[] }>();
  for (const t of listOf(resourceTypes)) {
    const o = obj(t);
    if (typeof o.name === 'string' && typeof o.endpoint === 'string')
      types.set(o.name, {
        endpoint: o.endpoint,
        schema: typeof o.schema === 'string' ? o.schema : '',
        extensions: listOf(o.schemaExtensions)
          .map((e) => obj(e).schema)
          .filter((s): s is string => typeof s === 'string'),
      });
  }
  return {
    patch: flag(c.patch),
    bulk: {
      supported: flag(c.bulk),
      maxOperations: num(obj(c.bulk).maxOperations) ?? 0,
      maxPayloadSize: num(obj(c.bulk).maxPayloadSize) ?? 0,
    },
    filter: { supported: flag(c.filter), maxResults: num(obj(c.filter).maxResults) },
    sort: flag(c.sort),
    etag: flag(c.etag),
    changePassword: flag(c.changePassword),
    pagination: {
      // RFC 9865 §6: a server that does not advertise pagination is assumed to do index paging only.
      index: pagination.index !== false,
      cursor: pagination.cursor === true,
      defaultMethod: pagination.defaultPaginationMethod === 'cursor' ? 'cursor' : 'index',
      defaultPageSize: num(pagination.defaultPageSize),
      maxPageSize: num(pagination.maxPageSize),
    },
    authenticationSchemes: listOf(c.authenticationSchemes)
      .map((s) => obj(s).type)
      .filter((s): s is string => typeof s === 'string'),
    resourceTypes: types,
    schemas: listOf(schemas)
      .map((s) => obj(s).id)
      .filter((s): s is string => typeof s === 'string'),
    raw: c,
  };
}

function obj(v: unknown): JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as JsonObject) : {};
}

/** A ListResponse's Resources, or a bare array (some servers answer /Schemas that way). */
function listOf(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  const o = obj(v);
  return Array.isArray(o.Resources) ? o.Resources : [];
}
