import { CompiledExpression, TransformCompileError } from '@hub/engine';
import {
  parseAttrPath,
  parseFilter,
  ScimError,
  validateFilter,
  type ResourceTypeSchemas,
  type SchemaRegistry,
} from '@hub/scim';
import {
  DEPROVISION_POLICIES,
  TARGET_AUTH_KINDS,
  type DeletionThreshold,
  type TargetAuth,
  type TargetResourceTypeConfig,
  type TargetResourceTypes,
  type TargetSecrets,
} from './target-config';

/** One problem with a target's configuration: where (a JSON path) and what, for a 400 body. */
export interface TargetConfigIssue {
  readonly path: string;
  readonly message: string;
}

export type TargetConfigValidation<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly issues: readonly TargetConfigIssue[] };

const MATCHABLE = new Set(['string', 'reference', 'binary']);

/**
 * Checks the per resource type configuration against the tenant's schema registry: known resource
 * types, attribute paths that exist, filters that parse and validate, expressions that compile in
 * the transform sandbox. Returns every issue found, not just the first.
 */
export function validateTargetResourceTypes(
  input: unknown,
  registry: SchemaRegistry,
): TargetConfigValidation<TargetResourceTypes> {
  const issues: TargetConfigIssue[] = [];
  const add: Add = (path, message) => void issues.push({ path, message });
  add.count = () => issues.length;
  if (!isObject(input)) {
    add('resourceTypes', 'must be an object keyed by resource type name');
    return { ok: false, issues };
  }
  const known = new Map(registry.listResourceTypes().map((t) => [t.name.toLowerCase(), t.name]));
  const out: Record<string, TargetResourceTypeConfig> = {};
  for (const [typeName, raw] of Object.entries(input)) {
    const at = `resourceTypes.${typeName}`;
    const canonical = known.get(typeName.toLowerCase());
    if (!canonical) {
      add(at, `unknown resource type "${typeName}" (known: ${[...known.values()].join(', ')})`);
      continue;
    }
    const schemas = registry.resourceType(canonical);
    const config = validateOne(raw, schemas, at, add);
    if (config) out[canonical] = config;
  }
  return issues.length ? { ok: false, issues } : { ok: true, value: out };
}

function validateOne(
  raw: unknown,
  schemas: ResourceTypeSchemas,
  at: string,
  add: Add,
): TargetResourceTypeConfig | undefined {
  if (!isObject(raw)) {
    add(at, 'must be an object');
    return undefined;
  }
  const before = add.count!();
  const enabled = raw.enabled === undefined ? true : raw.enabled;
  if (typeof enabled !== 'boolean') add(`${at}.enabled`, 'must be true or false');
  if (raw.endpoint !== undefined && (typeof raw.endpoint !== 'string' || !/^\/[\w\-./]*$/.test(raw.endpoint)))
    add(`${at}.endpoint`, 'must be a path starting with "/" such as "/Users"');
  const defaultMatch = schemas.name === 'Group' ? 'displayName' : 'userName';
  const matchAttribute = raw.matchAttribute ?? defaultMatch;
  if (typeof matchAttribute !== 'string') add(`${at}.matchAttribute`, 'must be an attribute name');
  else {
    const resolved = resolvePath(matchAttribute, schemas);
    if (typeof resolved === 'string') add(`${at}.matchAttribute`, resolved);
    else if (resolved.multiValued || !MATCHABLE.has(resolved.type))
      add(`${at}.matchAttribute`, `"${matchAttribute}" is not a single-valued string attribute`);
  }
  const deprovision = raw.deprovision ?? 'disable';
  if (!DEPROVISION_POLICIES.includes(deprovision as never))
    add(`${at}.deprovision`, `must be one of ${DEPROVISION_POLICIES.join(', ')}`);
  const mapping = validateMapping(raw.mapping ?? { mode: 'identity' }, schemas, `${at}.mapping`, add);
  const scope = validateScope(raw.scope, schemas, `${at}.scope`, add);
  if (
    raw.memberBatchSize !== undefined &&
    (!Number.isInteger(raw.memberBatchSize) ||
      (raw.memberBatchSize as number) < 1 ||
      (raw.memberBatchSize as number) > 10_000)
  )
    add(`${at}.memberBatchSize`, 'must be an integer between 1 and 10000');
  if (add.count!() !== before) return undefined;
  return {
    enabled: enabled as boolean,
    ...(raw.endpoint !== undefined ? { endpoint: raw.endpoint as string } : {}),
    matchAttribute: matchAttribute as string,
    mapping: mapping!,
    ...(scope ? { scope } : {}),
    deprovision: deprovision as TargetResourceTypeConfig['deprovision'],
    ...(raw.memberBatchSize !== undefined ? { memberBatchSize: raw.memberBatchSize as number } : {}),
  };
}

function validateMapping(
  raw: unknown,
  schemas: ResourceTypeSchemas,
  at: string,
  add: Add,
): TargetResourceTypeConfig['mapping'] | undefined {
  if (!isObject(raw)) {
    add(at, 'must be an object with a mode');
    return undefined;
  }
  if (raw.mode !== 'identity' && raw.mode !== 'explicit') {
    add(`${at}.mode`, 'must be "identity" or "explicit"');
    return undefined;
  }
  if (raw.mode === 'identity') {
    if (raw.attributes !== undefined) add(`${at}.attributes`, 'only with mode "explicit"');
    return { mode: 'identity' };
  }
  if (!Array.isArray(raw.attributes) || raw.attributes.length === 0) {
    add(`${at}.attributes`, 'mode "explicit" needs at least one attribute');
    return undefined;
  }
  const seen = new Set<string>();
  const attributes = raw.attributes.map((a: unknown, i: number) => {
    const p = `${at}.attributes[${i}]`;
    if (!isObject(a) || typeof a.target !== 'string') {
      add(p, 'must be { target, source? , expression? }');
      return { target: '' };
    }
    const target = resolvePath(a.target, schemas);
    if (typeof target === 'string') add(`${p}.target`, target);
    else if (target.mutability === 'readOnly')
      add(`${p}.target`, `"${a.target}" is read-only at a SCIM server`);
    else if (a.target.toLowerCase() === 'password') add(`${p}.target`, 'passwords never leave the hub');
    if (seen.has(a.target.toLowerCase())) add(`${p}.target`, `"${a.target}" is mapped twice`);
    seen.add(a.target.toLowerCase());
    const hasSource = a.source !== undefined;
    const hasExpression = a.expression !== undefined;
    if (hasSource === hasExpression) add(p, 'needs exactly one of source or expression');
    if (hasSource) {
      if (typeof a.source !== 'string') add(`${p}.source`, 'must be an attribute path');
      else {
        const source = resolvePath(a.source, schemas);
        if (typeof source === 'string') add(`${p}.source`, source);
        else if (a.source.toLowerCase() === 'password') add(`${p}.source`, 'passwords never leave the hub');
      }
    }
    if (hasExpression) {
      if (typeof a.expression !== 'string') add(`${p}.expression`, 'must be a string');
      else
        try {
          new CompiledExpression(a.expression);
        } catch (e) {
          add(`${p}.expression`, e instanceof TransformCompileError ? e.message : String(e));
        }
    }
    return {
      target: a.target,
      ...(hasSource ? { source: a.source as string } : {}),
      ...(hasExpression ? { expression: a.expression as string } : {}),
    };
  });
  return { mode: 'explicit', attributes };
}

function validateScope(
  raw: unknown,
  schemas: ResourceTypeSchemas,
  at: string,
  add: Add,
): TargetResourceTypeConfig['scope'] | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isObject(raw)) {
    add(at, 'must be { filter?, groups? }');
    return undefined;
  }
  if (raw.filter !== undefined) {
    if (typeof raw.filter !== 'string') add(`${at}.filter`, 'must be a SCIM filter string');
    else
      try {
        validateFilter(parseFilter(raw.filter), schemas);
      } catch (e) {
        add(`${at}.filter`, e instanceof ScimError ? (e.detail ?? e.message) : String(e));
      }
  }
  if (raw.groups !== undefined) {
    if (!Array.isArray(raw.groups) || raw.groups.some((g) => typeof g !== 'string' || !UUID.test(g)))
      add(`${at}.groups`, 'must be a list of hub group ids');
  }
  return {
    ...(typeof raw.filter === 'string' ? { filter: raw.filter } : {}),
    ...(Array.isArray(raw.groups) ? { groups: raw.groups as string[] } : {}),
  };
}

/** Validates auth settings plus the secrets they need (when given: on update they may be kept). */
export function validateTargetAuth(
  input: unknown,
  secrets: TargetSecrets | undefined,
): TargetConfigValidation<TargetAuth> {
  const issues: TargetConfigIssue[] = [];
  const add = (path: string, message: string) => issues.push({ path, message });
  if (!isObject(input) || !TARGET_AUTH_KINDS.includes(input.kind as never)) {
    add('auth.kind', `must be one of ${TARGET_AUTH_KINDS.join(', ')}`);
    return { ok: false, issues };
  }
  const need = (name: keyof TargetSecrets) => {
    if (secrets && typeof secrets[name] !== 'string')
      add(`secrets.${name}`, `is required for auth "${String(input.kind)}"`);
  };
  let value: TargetAuth = { kind: 'none' };
  switch (input.kind) {
    case 'bearer':
      need('token');
      value = { kind: 'bearer' };
      break;
    case 'basic':
      if (typeof input.username !== 'string' || input.username === '') add('auth.username', 'is required');
      need('password');
      value = { kind: 'basic', username: String(input.username) };
      break;
    case 'oauth2':
      if (typeof input.tokenUrl !== 'string' || !/^https?:\/\//.test(input.tokenUrl))
        add('auth.tokenUrl', 'must be an http(s) URL');
      if (typeof input.clientId !== 'string' || input.clientId === '') add('auth.clientId', 'is required');
      if (input.scope !== undefined && typeof input.scope !== 'string') add('auth.scope', 'must be a string');
      need('clientSecret');
      value = {
        kind: 'oauth2',
        tokenUrl: String(input.tokenUrl),
        clientId: String(input.clientId),
        ...(typeof input.scope === 'string' ? { scope: input.scope } : {}),
        ...(typeof input.audience === 'string' ? { audience: input.audience } : {}),
      };
      break;
  }
  return issues.length ? { ok: false, issues } : { ok: true, value };
}

export function validateDeletionThreshold(input: unknown): TargetConfigValidation<DeletionThreshold> {
  const issues: TargetConfigIssue[] = [];
  if (!isObject(input))
    return { ok: false, issues: [{ path: 'deletionThreshold', message: 'must be an object' }] };
  const { share, windowMinutes, minimum } = input;
  if (typeof share !== 'number' || !(share > 0 && share <= 1))
    issues.push({ path: 'deletionThreshold.share', message: 'must be a number in (0, 1]' });
  if (!Number.isInteger(windowMinutes) || (windowMinutes as number) < 1)
    issues.push({ path: 'deletionThreshold.windowMinutes', message: 'must be a positive integer' });
  if (!Number.isInteger(minimum) || (minimum as number) < 0)
    issues.push({ path: 'deletionThreshold.minimum', message: 'must be a non-negative integer' });
  return issues.length
    ? { ok: false, issues }
    : {
        ok: true,
        value: { share: share as number, windowMinutes: windowMinutes as number, minimum: minimum as number },
      };
}

type Resolved = { type: string; multiValued: boolean; mutability: string };

/** The attribute a path names, or why it names none. */
function resolvePath(text: string, schemas: ResourceTypeSchemas): Resolved | string {
  let path;
  try {
    path = parseAttrPath(text);
  } catch (e) {
    return e instanceof ScimError ? (e.detail ?? e.message) : `"${text}" is not an attribute path`;
  }
  const found = schemas.resolve(path);
  if (!found || found.kind !== 'attribute')
    return `unknown attribute "${text}" for resource type ${schemas.name}`;
  const attr = found.subAttribute ?? found.attribute;
  return { type: attr.type, multiValued: attr.multiValued, mutability: attr.mutability };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Records an issue; `count` (set by the caller that owns the list) tells whether a part added any. */
type Add = ((path: string, message: string) => void) & { count?: () => number };
