import { Inject, Injectable } from '@nestjs/common';
import {
  InvalidValueError,
  LIST_RESPONSE_URN,
  NotFoundError,
  UniquenessError,
  assertIfMatch,
  ifNoneMatchPasses,
  parseFilter,
  patchResource,
  validateFilter,
  validateResource,
  type JsonObject,
  type PatchDialect,
  type ProjectionOptions,
  type ResourceTypeSchemas,
  type SchemaRegistry,
} from '@hub/scim';
import { HUB_CONFIG, type HubConfig } from '@hub/config';
import type { Principal } from '@hub/auth';
import {
  INBOUND_WRITE_GATEWAY,
  InboundSourceRepository,
  ScimResourceRepository,
  SqlParams,
  TENANT_PARAM,
  TYPE_PARAM,
  UniqueKeyTakenError,
  asTenantId,
  filterToSql,
  resolveSortAttribute,
  sortKeySql,
  type ChangeReads,
  type FilterSqlContext,
  type GoldenRecord,
  type InboundWriteGateway,
  type ListQuery,
  type ListedRecord,
  type SourceView,
  type TenantId,
  type WriteContext,
} from '@hub/persistence';
import { ScimSchemaService } from './scim-schema.service';
import { SCIM_BASE_PATH } from './scim-constants';
import {
  etagOf,
  resourceLocation,
  toRepresentation,
  wantsGroups,
  type Locations,
} from './scim-representation';
import {
  cursorTextOf,
  decodeCursor,
  encodeCursor,
  queryFingerprint,
  type ListRequest,
} from './scim-list-query';
import { normaliseResourceBody } from './scim-dialect';

/** The authenticated caller of one SCIM request. */
export interface ScimCaller {
  principal: Principal;
  requestId?: string;
  /** Audit label of the entry point. */
  channel?: string;
  /** Writes go to this source instead of the client's (self-service /Me). */
  sourceId?: string;
}

export interface ScimResult {
  status: number;
  body?: Record<string, unknown>;
  etag?: string;
  location?: string;
  id?: string;
}

export interface WriteOptions extends ProjectionOptions {
  ifMatch?: string;
  /** Checks the change before it is written (self-service attribute policy). */
  approve?(before: SourceView, after: SourceView, view: ResourceTypeSchemas): void;
}

/** Pairs of an attribute that holds members (Group.members) and the attribute it is derived into. */
const MEMBERS = 'members';

/**
 * The inbound SCIM server's resource operations, shared by the HTTP routes, /Me and /Bulk.
 * Reads go to ScimResourceRepository (filter, sort, pagination in SQL); writes become the
 * calling source's assertion through the InboundWriteGateway.
 */
@Injectable()
export class ScimResourceService {
  readonly locations: Locations;

  constructor(
    @Inject(HUB_CONFIG) config: HubConfig,
    @Inject(INBOUND_WRITE_GATEWAY) private readonly gateway: InboundWriteGateway,
    private readonly resources: ScimResourceRepository,
    private readonly sources: InboundSourceRepository,
    private readonly schemas: ScimSchemaService,
  ) {
    this.locations = { base: `${config.http.publicBaseUrl}${SCIM_BASE_PATH}` };
  }

  async registry(caller: ScimCaller): Promise<SchemaRegistry> {
    return this.schemas.registry(asTenantId(caller.principal.tenantId));
  }

  /** The resource type served at `/{endpoint}` (404 when none). */
  async typeAt(
    caller: ScimCaller,
    endpoint: string,
  ): Promise<{ registry: SchemaRegistry; view: ResourceTypeSchemas }> {
    const registry = await this.registry(caller);
    return { registry, view: registry.resourceTypeByEndpoint(`/${endpoint}`) };
  }

  // --- reads -------------------------------------------------------------------------------------

  async get(
    caller: ScimCaller,
    endpoint: string,
    id: string,
    options: ProjectionOptions & { ifNoneMatch?: string },
  ): Promise<ScimResult> {
    const { registry, view } = await this.typeAt(caller, endpoint);
    const tenantId = asTenantId(caller.principal.tenantId);
    const sourceId = await this.readerSource(caller);
    const withGroups = wantsGroups(view, options);
    const record = await this.resources.get(tenantId, view.name, id, sourceId, withGroups);
    if (!record) throw new NotFoundError(`${view.name} ${id} not found`);
    const etag = etagOf(record);
    const location = resourceLocation(this.locations, view, record.id);
    if (!ifNoneMatchPasses(options.ifNoneMatch, record.version)) return { status: 304, etag, location };
    const body = toRepresentation(record, view, registry, this.locations, {
      ...options,
      groups: record.groups ?? [],
    });
    return { status: 200, body, etag, location, id: record.id };
  }

  /** RFC 7644 §3.4.2 (GET) and §3.4.3 (POST /.search); `endpoint` undefined searches every type. */
  async list(
    caller: ScimCaller,
    endpoint: string | undefined,
    request: ListRequest,
  ): Promise<Record<string, unknown>> {
    const registry = await this.registry(caller);
    const tenantId = asTenantId(caller.principal.tenantId);
    const sourceId = await this.readerSource(caller);
    const views = endpoint
      ? [registry.resourceTypeByEndpoint(`/${endpoint}`)]
      : registry.listResourceTypes().map((t) => registry.resourceType(t.name));
    const params = new SqlParams([tenantId, views.length === 1 ? views[0]!.name : views.map((v) => v.name)]);
    const root = !endpoint;
    const where = this.whereClause(request, views, params, sourceId, root);
    const sort = request.sortBy ? this.sortClause(request, views, params, sourceId, root) : undefined;
    const scope = endpoint ? endpoint.toLowerCase() : '/';
    const base: Omit<ListQuery, 'limit'> = {
      params,
      where,
      ...(sort ? { sort } : {}),
      sourceId,
    };
    const options: ProjectionOptions = {
      ...(request.attributes ? { attributes: request.attributes } : {}),
      ...(request.excludedAttributes ? { excludedAttributes: request.excludedAttributes } : {}),
    };
    const byType = new Map(views.map((v) => [v.name, { view: v, groups: wantsGroups(v, options) }]));
    const withGroups = views.some((v) => byType.get(v.name)!.groups);
    const page = request.pagination;
    let rows: ListedRecord[];
    let totalResults: number;
    const extra: Record<string, unknown> = {};
    if (page.mode === 'index') {
      // One statement: the page and totalResults (an empty page past the end still counts).
      ({ rows, totalResults } = await this.resources.page(
        { ...base, limit: page.count, offset: page.startIndex - 1 },
        root,
        withGroups,
      ));
    } else {
      const fingerprint = queryFingerprint(scope, request);
      const position = decodeCursor(cursorTextOf(request), fingerprint);
      // One row more than asked tells whether another page exists in the walking direction.
      const fetched = await this.resources.page(
        { ...base, limit: page.count + 1, ...(position ? { keyset: position } : {}) },
        root,
        withGroups,
      );
      totalResults = fetched.totalResults;
      const more = fetched.rows.length > page.count;
      rows = position?.before
        ? fetched.rows.slice(fetched.rows.length > page.count ? 1 : 0)
        : fetched.rows.slice(0, page.count);
      const first = rows[0];
      const last = rows[rows.length - 1];
      const hasNext = position?.before ? true : more;
      const hasPrevious = position ? (position.before ? more : true) : false;
      if (last && hasNext)
        extra.nextCursor = encodeCursor(fingerprint, { key: last.sortKey, id: last.id, before: false });
      if (first && hasPrevious)
        extra.previousCursor = encodeCursor(fingerprint, { key: first.sortKey, id: first.id, before: true });
    }
    const resources = rows.map((r) => {
      const type = byType.get(r.resourceType)!;
      return toRepresentation(r, type.view, registry, this.locations, {
        ...options,
        groups: type.groups ? (r.groups ?? []) : [],
      });
    });
    return {
      schemas: [LIST_RESPONSE_URN],
      totalResults,
      itemsPerPage: resources.length,
      ...(page.mode === 'index' ? { startIndex: page.startIndex } : {}),
      ...extra,
      Resources: resources,
    };
  }

  private filterContext(
    view: ResourceTypeSchemas,
    params: SqlParams,
    sourceId: string | null,
    typeParam: string,
  ): FilterSqlContext {
    const groups = view.findAttribute(view.core, 'groups');
    return {
      alias: 'r',
      params,
      tenantParam: TENANT_PARAM,
      typeParam,
      resourceType: view.name,
      sourceId,
      ...(view.name === 'User' ? { nameKeyAttribute: 'userName' } : {}),
      derivedGroups: groups?.mutability === 'readOnly',
      locationBase: `${this.locations.base}/`,
      endpoint: view.resourceType.endpoint.replace(/^\//, ''),
    };
  }

  /** The SQL predicate of a list request's filter (also used by the delta feed). */
  whereClause(
    request: ListRequest,
    views: ResourceTypeSchemas[],
    params: SqlParams,
    sourceId: string | null,
    root: boolean,
  ): string {
    if (!request.filter) return 'true';
    const parsed = parseFilter(request.filter);
    if (!root)
      return filterToSql(
        validateFilter(parsed, views[0]!),
        this.filterContext(views[0]!, params, sourceId, TYPE_PARAM),
      );
    // Root search: the filter applies to each type it is valid for (RFC 7644 §3.4.2.1).
    const clauses: string[] = [];
    let firstError: unknown;
    for (const view of views) {
      let validated;
      try {
        validated = validateFilter(parsed, view);
      } catch (error) {
        firstError ??= error;
        continue;
      }
      const typeParam = params.add(view.name, 'text');
      clauses.push(
        `(r.resource_type = ${typeParam} AND ${filterToSql(validated, this.filterContext(view, params, sourceId, typeParam))})`,
      );
    }
    if (clauses.length === 0) throw firstError;
    return clauses.join(' OR ');
  }

  private sortClause(
    request: ListRequest,
    views: ResourceTypeSchemas[],
    params: SqlParams,
    sourceId: string | null,
    root: boolean,
  ): ListQuery['sort'] {
    const view = views[0]!;
    const sort = resolveSortAttribute(request.sortBy!, view);
    if (root && (sort.extension || !['id', 'externalId', 'meta'].includes(sort.attribute)))
      throw new InvalidValueError('A search across resource types can sort by id, externalId or meta only');
    const key = sortKeySql(
      sort,
      this.filterContext(view, params, sourceId, root ? 'r.resource_type' : TYPE_PARAM),
    );
    return { ...key, descending: request.sortOrder === 'descending' };
  }

  // --- writes ------------------------------------------------------------------------------------

  async create(
    caller: ScimCaller,
    endpoint: string,
    body: unknown,
    options: WriteOptions = {},
  ): Promise<ScimResult> {
    const { registry, view } = await this.typeAt(caller, endpoint);
    const tenantId = asTenantId(caller.principal.tenantId);
    const dialect = this.dialect(caller);
    const validated = validateResource(normaliseResourceBody(body, view, dialect), view, {
      context: 'create',
    });
    const sourceView = splitView(validated, view);
    await this.resolveMembers(tenantId, sourceView, undefined, undefined);
    const ctx = await this.writeContext(caller);
    let record: GoldenRecord;
    try {
      record = await this.gateway.create(ctx, {
        resourceType: view.name,
        view: sourceView,
        nameKey: nameKeyOf(view, sourceView),
      });
    } catch (error) {
      throw mapWriteError(error, view);
    }
    return this.written(201, tenantId, record, view, registry, options);
  }

  async replace(
    caller: ScimCaller,
    endpoint: string,
    id: string,
    body: unknown,
    options: WriteOptions = {},
  ): Promise<ScimResult> {
    return this.update(caller, endpoint, id, 'replace', undefined, options, (view, dialect) => {
      // Normalised before the write starts: a malformed body never opens a transaction.
      const normalised = normaliseResourceBody(body, view, dialect);
      return (current) =>
        validateResource(normalised, view, {
          context: 'replace',
          existing: {
            ...current.attributes,
            ...(current.externalId !== null ? { externalId: current.externalId } : {}),
          },
        });
    });
  }

  async patch(
    caller: ScimCaller,
    endpoint: string,
    id: string,
    body: unknown,
    options: WriteOptions = {},
  ): Promise<ScimResult> {
    return this.update(
      caller,
      endpoint,
      id,
      'patch',
      body,
      options,
      (view, dialect) => (current) =>
        patchResource(
          {
            ...current.attributes,
            id: current.id,
            ...(current.externalId !== null ? { externalId: current.externalId } : {}),
          },
          body,
          view,
          { dialect },
        ),
    );
  }

  /**
   * PUT and PATCH: read-modify-write under the gateway's row lock. `prepare` runs before the
   * write (body checks) and returns how to compute the new resource from the current one.
   */
  private async update(
    caller: ScimCaller,
    endpoint: string,
    id: string,
    kind: 'replace' | 'patch',
    request: unknown,
    options: WriteOptions,
    prepare: (view: ResourceTypeSchemas, dialect: PatchDialect) => (current: GoldenRecord) => JsonObject,
  ): Promise<ScimResult> {
    const { registry, view } = await this.typeAt(caller, endpoint);
    const tenantId = asTenantId(caller.principal.tenantId);
    const nextResource = prepare(view, this.dialect(caller));
    const ctx = await this.writeContext(caller);
    const record = await this.gateway
      .update(ctx, {
        resourceType: view.name,
        id,
        kind,
        ...(request !== undefined ? { request } : {}),
        change: async (current, reads) => {
          assertIfMatch(options.ifMatch, current.version);
          const next = splitView(nextResource(current), view);
          await this.resolveMembers(tenantId, next, current, reads);
          options.approve?.(viewOf(current), next, view);
          return { view: next, nameKey: nameKeyOf(view, next) };
        },
      })
      .catch((error: unknown) => {
        throw mapWriteError(error, view);
      });
    if (!record) throw notFound(view, id, options.ifMatch);
    return this.written(200, tenantId, record, view, registry, options);
  }

  async delete(
    caller: ScimCaller,
    endpoint: string,
    id: string,
    options: { ifMatch?: string } = {},
  ): Promise<ScimResult> {
    const { view } = await this.typeAt(caller, endpoint);
    const ctx = await this.writeContext(caller);
    const deleted = await this.gateway.delete(ctx, {
      resourceType: view.name,
      id,
      precondition: (current) => assertIfMatch(options.ifMatch, current.version),
    });
    if (!deleted) throw notFound(view, id, options.ifMatch);
    return { status: 204 };
  }

  // --- helpers -----------------------------------------------------------------------------------

  private async written(
    status: number,
    tenantId: TenantId,
    record: GoldenRecord,
    view: ResourceTypeSchemas,
    registry: SchemaRegistry,
    options: ProjectionOptions,
  ): Promise<ScimResult> {
    const body = await this.represent(tenantId, record, view, registry, options, status === 201);
    return {
      status,
      body,
      etag: etagOf(record),
      location: resourceLocation(this.locations, view, record.id),
      id: record.id,
    };
  }

  private async represent(
    tenantId: TenantId,
    record: GoldenRecord,
    view: ResourceTypeSchemas,
    registry: SchemaRegistry,
    options: ProjectionOptions,
    created: boolean,
  ): Promise<Record<string, unknown>> {
    // A resource just created is in no group yet; otherwise its derived groups as stored now.
    const read =
      !created && wantsGroups(view, options)
        ? await this.resources.get(tenantId, view.name, record.id, null, true)
        : null;
    return toRepresentation(record, view, registry, this.locations, {
      ...options,
      groups: read?.groups ?? [],
    });
  }

  /**
   * Members are stored as `{value, type, display}`: each new value must be a resource of the
   * tenant (400 otherwise), `type` is what it is, `display` its name now; `$ref` is added on read.
   */
  private async resolveMembers(
    tenantId: TenantId,
    next: SourceView,
    current: GoldenRecord | undefined,
    reads: ChangeReads | undefined,
  ): Promise<void> {
    const members = next.attributes[MEMBERS];
    if (!Array.isArray(members)) return;
    const known = new Map<string, Record<string, unknown>>();
    const previous = current?.attributes[MEMBERS];
    if (Array.isArray(previous))
      for (const m of previous as Array<Record<string, unknown>>)
        if (typeof m?.value === 'string') known.set(m.value, m);
    const wanted = [
      ...new Set(
        (members as Array<Record<string, unknown>>)
          .map((m) => m?.value)
          .filter((v): v is string => typeof v === 'string'),
      ),
    ];
    const unknown = wanted.filter((v) => !known.has(v));
    const found = new Map(
      (await (reads ? reads.findMembers(unknown) : this.resources.findMembers(tenantId, unknown))).map(
        (m) => [m.id, m],
      ),
    );
    const missing = unknown.filter((v) => !found.has(v));
    if (missing.length > 0)
      throw new InvalidValueError(
        `members: no resource with id ${missing
          .slice(0, 5)
          .map((v) => `"${v}"`)
          .join(', ')}`,
      );
    if (current && wanted.includes(current.id))
      throw new InvalidValueError('A group cannot be a member of itself');
    next.attributes[MEMBERS] = wanted.map((value) => {
      const prior = known.get(value);
      if (prior) return prior;
      const m = found.get(value)!;
      return { value, type: m.resourceType, ...(m.display !== null ? { display: m.display } : {}) };
    });
  }

  private dialect(caller: ScimCaller): PatchDialect {
    const d = caller.principal.dialect;
    return d === 'entra' || d === 'okta' ? d : 'rfc';
  }

  /** The calling client's source, whose externalId reads return. */
  async readerSource(caller: ScimCaller): Promise<string | null> {
    if (caller.sourceId) return caller.sourceId;
    const p = caller.principal;
    return this.sources.forReader(asTenantId(p.tenantId), p.clientId, p.sourceId);
  }

  private async writeContext(caller: ScimCaller): Promise<WriteContext> {
    const p = caller.principal;
    const tenantId = asTenantId(p.tenantId);
    return {
      tenantId,
      sourceId: caller.sourceId ?? (await this.sources.forWriter(tenantId, p.clientId, p.sourceId)),
      actor: { type: 'api_client', id: p.clientId },
      requestId: caller.requestId ?? null,
      channel: caller.channel ?? 'scim',
    };
  }
}

/** Splits a validated resource into stored attributes and the source's externalId; drops write-only values. */
function splitView(resource: Record<string, unknown>, view: ResourceTypeSchemas): SourceView {
  const attributes: Record<string, unknown> = {};
  let externalId: string | null = null;
  for (const [key, value] of Object.entries(resource)) {
    if (key === 'externalId') {
      externalId = typeof value === 'string' ? value : null;
      continue;
    }
    if (key === 'id' || key === 'meta') continue;
    const ext = key.includes(':') ? view.findSchema(key) : undefined;
    if (ext?.extension && value && typeof value === 'object' && !Array.isArray(value)) {
      const kept: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (view.findAttribute(ext, k)?.mutability === 'writeOnly') continue;
        kept[k] = v;
      }
      attributes[key] = kept;
      continue;
    }
    const attr = view.findAttribute(view.core, key);
    // Passwords and other write-only values are not stored (ADR 0301: no target consumes them yet).
    if (attr?.mutability === 'writeOnly') continue;
    if (attr?.mutability === 'readOnly' && key !== 'schemas') continue;
    attributes[key] = value;
  }
  return { attributes, externalId };
}

function viewOf(record: GoldenRecord): SourceView {
  return { attributes: record.attributes, externalId: record.externalId };
}

function nameKeyOf(view: ResourceTypeSchemas, sourceView: SourceView): string | null {
  if (view.name !== 'User') return null;
  const userName = sourceView.attributes.userName;
  // RFC 7643 §4.1.1: each User MUST include a non-empty userName.
  if (typeof userName !== 'string' || userName.trim() === '')
    throw new InvalidValueError('userName is required and must not be empty');
  return userName.toLowerCase();
}

function mapWriteError(error: unknown, view: ResourceTypeSchemas): unknown {
  if (error instanceof UniqueKeyTakenError)
    return new UniquenessError(
      `${view.name === 'User' ? 'userName' : 'A unique attribute'} is already taken in this tenant`,
    );
  return error;
}

/** A missing resource is 404 whatever the preconditions say (clients act on 404, not 412). */
function notFound(view: ResourceTypeSchemas, id: string, _ifMatch: string | undefined): Error {
  return new NotFoundError(`${view.name} ${id} not found`);
}
