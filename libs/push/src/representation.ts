import { CompiledExpression, hashJson, prepareInput, type TransformOutcome } from '@hub/engine';
import { parseAttrPath, type AttrPath, type JsonObject, type ResourceTypeSchemas } from '@hub/scim';
import type { CompiledScope } from './scope';
import type { StoredCapabilities, TargetMapping, TargetResourceTypeConfig } from './target-config';

/** Never leave the hub, whatever the mapping says: server-owned or write-only. */
const NEVER_SENT = new Set(['id', 'meta', 'schemas', 'password', 'groups', 'members', 'externalid']);

/** A mapping prepared once per target configuration (expressions compiled, paths parsed). */
export interface CompiledMapping {
  readonly mode: 'identity' | 'explicit';
  /** An attribute is computed by an expression (evaluated asynchronously). */
  readonly expressions: boolean;
  readonly attributes: ReadonlyArray<{
    readonly target: AttrPath;
    readonly source?: AttrPath;
    readonly expression?: CompiledExpression;
  }>;
}

/**
 * Raised when a change to this module makes the same record and configuration give another
 * representation, or makes it read more of the configuration or capabilities than
 * `representationStamp` covers: links pushed under an older stamp are compared the long way again.
 */
const REPRESENTATION_REVISION = 1;

/**
 * Everything besides the golden record that decides its representation at a target (ADR 0702):
 * the type's configuration, its schemas and the target's capabilities. A link recorded under the
 * current stamp, clean since (no newer version wanted), holds the representation the hub would
 * push now, so a reconciliation compares the remote object with it without reading the record.
 * Null when more decides it — expressions, a scope by group membership — and nothing is inferred.
 */
export function representationStamp(input: {
  readonly config: TargetResourceTypeConfig;
  readonly schemas: ResourceTypeSchemas;
  readonly capabilities: StoredCapabilities;
  readonly mapping: CompiledMapping;
  readonly scope: CompiledScope;
}): string | null {
  const { config, schemas, capabilities, mapping, scope } = input;
  if (mapping.expressions || scope.groups) return null;
  return hashJson({
    revision: REPRESENTATION_REVISION,
    config,
    // What `declaredExtensions` reads: not the rest (when discovery last ran, PATCH support…).
    capabilities: {
      type: capabilities.resourceTypes[schemas.name] ?? null,
      schemas: capabilities.schemas,
    },
    resourceType: schemas.resourceType,
    core: schemas.core.definition,
    extensions: schemas.extensions.map((e) => ({ definition: e.definition, required: e.required })),
  });
}

export function compileMapping(mapping: TargetMapping): CompiledMapping {
  if (mapping.mode === 'identity') return { mode: 'identity', expressions: false, attributes: [] };
  return {
    mode: 'explicit',
    expressions: (mapping.attributes ?? []).some((a) => a.source === undefined && a.expression !== undefined),
    attributes: (mapping.attributes ?? []).map((a) => ({
      target: parseAttrPath(a.target),
      ...(a.source !== undefined ? { source: parseAttrPath(a.source) } : {}),
      ...(a.expression !== undefined ? { expression: new CompiledExpression(a.expression) } : {}),
    })),
  };
}

export interface RepresentationInput {
  readonly id: string;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly lifecycleState: 'active' | 'suspended' | 'deleted';
}

export interface Representation {
  readonly body: JsonObject;
  /** Attributes a transform could not compute (left out of the body). */
  readonly issues: readonly string[];
}

const NONE_EVALUATED: ReadonlyMap<number, TransformOutcome> = new Map();

/**
 * The golden record as the target should hold it. Identity: the core attributes and the
 * extensions the target declares, as they are, with `externalId` = the hub id (the target's key
 * back to us). Explicit: only the mapped attributes. Never a password, never read-only attributes,
 * never members (pushed apart, as their links allow). A suspended record is sent `active: false`.
 */
export async function toRepresentation(
  record: RepresentationInput,
  schemas: ResourceTypeSchemas,
  mapping: CompiledMapping,
  capabilities: StoredCapabilities,
): Promise<Representation> {
  if (!mapping.expressions)
    return buildRepresentation(record, schemas, mapping, capabilities, NONE_EVALUATED);
  // In the mapping's order, on one copy of the record, as each attribute is built.
  const evaluated = new Map<number, TransformOutcome>();
  let input: TransformOutcome | undefined;
  for (const [i, a] of mapping.attributes.entries()) {
    if (a.source || !a.expression) continue;
    input ??= prepareInput({ ...record.attributes, id: record.id });
    evaluated.set(i, input.ok ? await a.expression.evaluate(input.value) : input);
  }
  return buildRepresentation(record, schemas, mapping, capabilities, evaluated);
}

/**
 * `toRepresentation` at once, for mappings without expressions (null otherwise): a reconciliation
 * compares 100,000 records a run, and a promise per record is a good part of that.
 */
export function representationNow(
  record: RepresentationInput,
  schemas: ResourceTypeSchemas,
  mapping: CompiledMapping,
  capabilities: StoredCapabilities,
): Representation | null {
  return mapping.expressions
    ? null
    : buildRepresentation(record, schemas, mapping, capabilities, NONE_EVALUATED);
}

function buildRepresentation(
  record: RepresentationInput,
  schemas: ResourceTypeSchemas,
  mapping: CompiledMapping,
  capabilities: StoredCapabilities,
  evaluated: ReadonlyMap<number, TransformOutcome>,
): Representation {
  const body: JsonObject = {};
  const issues: string[] = [];
  const extensions = new Set<string>();
  if (mapping.mode === 'identity') {
    body.externalId = record.id;
    const routes = identityRoutes(schemas, capabilities);
    for (const key in record.attributes) {
      const value = record.attributes[key];
      if (value === null || value === undefined) continue;
      const route = routes.of(key);
      if (route === undefined) continue;
      if (typeof route === 'string') {
        body[route] = value as JsonObject[string];
        continue;
      }
      if (!isObject(value)) continue;
      const kept: JsonObject = {};
      let any = false;
      for (const name in value) {
        const v = value[name];
        const target = route.attribute(name);
        if (target !== undefined && v !== null && v !== undefined) {
          kept[target] = v as JsonObject[string];
          any = true;
        }
      }
      if (any) {
        body[route.id] = kept;
        extensions.add(route.id);
      }
    }
  } else {
    for (const [i, a] of mapping.attributes.entries()) {
      let value: unknown;
      if (a.source) value = getPath(record.attributes, a.source, schemas);
      else if (a.expression) {
        const outcome = evaluated.get(i);
        if (outcome?.ok) value = outcome.value;
        else if (outcome && !outcome.empty) issues.push(`${label(a.target)}: ${outcome.reason}`);
      }
      if (value === undefined || value === null || value === '') continue;
      if (
        NEVER_SENT.has(a.target.attr.toLowerCase()) &&
        a.target.uri === undefined &&
        a.target.attr !== 'externalId'
      )
        continue;
      setPath(body, a.target, value);
      if (a.target.uri !== undefined)
        extensions.add(schemas.findSchema(a.target.uri)?.definition.id ?? a.target.uri);
    }
  }
  if (record.lifecycleState === 'suspended' && schemas.findAttribute(schemas.core, 'active'))
    body.active = false;
  return { body: { schemas: [schemas.core.definition.id, ...extensions], ...body }, issues };
}

/** Where an extension's attributes go: the extension's URN, and each attribute's canonical name. */
interface ExtensionRoute {
  readonly id: string;
  attribute(name: string): string | undefined;
}

/**
 * The identity mapping's decision for each key of a golden record — the canonical core attribute
 * name, an extension the target declares, or nothing (undefined) — made once per key for a
 * schema view and a target's capabilities (both live as long as the target's context) instead of
 * once per key of every record pushed or reconciled.
 */
interface IdentityRoutes {
  of(key: string): string | ExtensionRoute | undefined;
}

const routeCache = new WeakMap<ResourceTypeSchemas, WeakMap<StoredCapabilities, IdentityRoutes>>();
/** Keys remembered per view; a record inventing keys beyond this is routed without memo. */
const ROUTE_MEMO_LIMIT = 1_000;

function identityRoutes(schemas: ResourceTypeSchemas, capabilities: StoredCapabilities): IdentityRoutes {
  let byCapabilities = routeCache.get(schemas);
  if (!byCapabilities) routeCache.set(schemas, (byCapabilities = new WeakMap()));
  let routes = byCapabilities.get(capabilities);
  if (routes) return routes;
  const declared = declaredExtensions(schemas, capabilities);
  const memo = <T>(decide: (key: string) => T) => {
    const known = new Map<string, T>();
    return (key: string): T => {
      if (known.has(key)) return known.get(key)!;
      const decided = decide(key);
      if (known.size < ROUTE_MEMO_LIMIT) known.set(key, decided);
      return decided;
    };
  };
  routes = {
    of: memo((key): string | ExtensionRoute | undefined => {
      if (NEVER_SENT.has(key.toLowerCase())) return undefined;
      const ext = schemas.findSchema(key);
      if (ext?.extension) {
        if (!declared.has(ext.definition.id)) return undefined;
        return {
          id: ext.definition.id,
          attribute: memo((name) => {
            const attr = schemas.findAttribute(ext, name);
            return attr && writable(attr) ? attr.name : undefined;
          }),
        };
      }
      const attr = schemas.findAttribute(schemas.core, key);
      return attr && writable(attr) ? attr.name : undefined;
    }),
  };
  byCapabilities.set(capabilities, routes);
  return routes;
}

/** Extensions the target declares for this type; all the hub knows when it declared nothing. */
function declaredExtensions(schemas: ResourceTypeSchemas, capabilities: StoredCapabilities): Set<string> {
  const all = schemas.extensions.map((e) => e.definition.id);
  const type = capabilities.resourceTypes[schemas.name];
  if (type && type.extensions.length) return new Set(all.filter((u) => type.extensions.includes(u)));
  if (capabilities.schemas.length) return new Set(all.filter((u) => capabilities.schemas.includes(u)));
  return new Set(all);
}

function writable(attr: { mutability: string; returned: string; name: string }): boolean {
  return (
    attr.mutability !== 'readOnly' && attr.returned !== 'never' && !NEVER_SENT.has(attr.name.toLowerCase())
  );
}

function getPath(
  record: Readonly<Record<string, unknown>>,
  path: AttrPath,
  schemas: ResourceTypeSchemas,
): unknown {
  let container: unknown = record;
  if (path.uri !== undefined) {
    const urn = schemas.findSchema(path.uri)?.definition.id ?? path.uri;
    container = getCi(record, urn);
  }
  const value = getCi(container, path.attr);
  return path.subAttr === undefined ? value : getCi(value, path.subAttr);
}

function setPath(body: JsonObject, path: AttrPath, value: unknown): void {
  let container = body;
  if (path.uri !== undefined) container = (body[path.uri] ??= {}) as JsonObject;
  if (path.subAttr === undefined) {
    container[path.attr] = value as JsonObject[string];
    return;
  }
  const parent = (container[path.attr] ??= {}) as JsonObject;
  parent[path.subAttr] = value as JsonObject[string];
}

function getCi(obj: unknown, name: string): unknown {
  if (!isObject(obj)) return undefined;
  if (name in obj) return obj[name];
  const lower = name.toLowerCase();
  for (const k of Object.keys(obj)) if (k.toLowerCase() === lower) return obj[k];
  return undefined;
}

function label(p: AttrPath): string {
  return `${p.uri ? `${p.uri}:` : ''}${p.attr}${p.subAttr ? `.${p.subAttr}` : ''}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
