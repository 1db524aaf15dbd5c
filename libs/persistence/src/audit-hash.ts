import { createHash } from 'node:crypto';

export interface AuditEntry {
  actorType: 'api_client' | 'operator' | 'system' | 'source';
  actorId?: string | null;
  sourceId?: string | null;
  action: string;
  resourceType?: string | null;
  resourceId?: string | null;
  detail?: Record<string, unknown>;
  requestId?: string | null;
}

/** Stable JSON: keys sorted at every level, so the hash does not depend on insertion order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** hash = SHA-256(prevHash || canonical entry): changing or dropping any row breaks the chain. */
export function auditHash(prevHash: string | null, tenantId: string, at: Date, entry: AuditEntry): string {
  const body = canonicalJson({
    tenantId,
    at: at.toISOString(),
    actorType: entry.actorType,
    actorId: entry.actorId ?? null,
    sourceId: entry.sourceId ?? null,
    action: entry.action,
    resourceType: entry.resourceType ?? null,
    resourceId: entry.resourceId ?? null,
    detail: entry.detail ?? {},
    requestId: entry.requestId ?? null,
  });
  return createHash('sha256')
    .update(prevHash ?? '')
    .update('\n')
    .update(body)
    .digest('hex');
}
