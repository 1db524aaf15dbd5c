import { randomUUID } from 'node:crypto';
import { issueApiToken } from '../../libs/auth/src';
import { ApiClientRepository, SourceRepository, asTenantId } from '../../libs/persistence/src';
import { json } from './json';
import type { RunningApi } from './hub-fixture';

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** SCIM bodies as servers send them: typed loosely on purpose (as `json()` in json.ts). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Loose = any;

export type Call = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: Loose }>;

/** A JSON caller for one API base URL and bearer token (SCIM or admin paths). */
export function caller(baseUrl: string, token: string): Call {
  return async (method, path, body) => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/scim+json' } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: res.status === 204 ? undefined : await json(res) };
  };
}

/** Like `caller`, but a status >= 300 throws with the body (for the writes a scenario drives). */
export function strictCaller(baseUrl: string, token: string): Call {
  const call = caller(baseUrl, token);
  return async (method, path, body) => {
    const res = await call(method, path, body);
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res;
  };
}

/** An inbound SCIM source (create + update on every type) and a token for it. */
export async function inboundScimSource(
  api: RunningApi,
  tenantId: string,
  name = 'hr',
): Promise<{ sourceId: string; token: string }> {
  const tenant = asTenantId(tenantId);
  const source = await api.app.get(SourceRepository).create(tenant, {
    name,
    kind: 'scim_inbound',
    roles: { '*': { create: true, update: true } },
    config: {},
    enabled: true,
  });
  const issued = issueApiToken(randomUUID());
  await api.app.get(ApiClientRepository).create(tenant, {
    id: issued.clientId,
    name,
    scopes: ['scim:read', 'scim:write'],
    secretHash: issued.secretHash,
    sourceId: source.id,
  });
  return { sourceId: source.id, token: issued.token };
}

/** Adds a target through the admin API and runs its discovery; returns the target id. */
export async function addTarget(admin: Call, body: Record<string, unknown>): Promise<string> {
  const created = await admin('POST', '/admin/v1/targets', body);
  if (created.status !== 201)
    throw new Error(`POST target: ${created.status} ${JSON.stringify(created.body)}`);
  const id = String(created.body.id);
  const discovered = await admin('POST', `/admin/v1/targets/${id}/discovery`);
  if (discovered.status !== 200)
    throw new Error(`discovery: ${discovered.status} ${JSON.stringify(discovered.body)}`);
  return id;
}

/** Every resource of one type from a SCIM server, paged by index. */
export async function listAll(call: Call, endpoint: string): Promise<Loose[]> {
  const out: Loose[] = [];
  for (let start = 1; ;) {
    const page = await call('GET', `${endpoint}?startIndex=${start}&count=500`);
    if (page.status !== 200) throw new Error(`GET ${endpoint}: ${page.status} ${JSON.stringify(page.body)}`);
    const items = (page.body.Resources ?? []) as Loose[];
    out.push(...items);
    if (!items.length || out.length >= Number(page.body.totalResults)) return out;
    start += items.length;
  }
}
