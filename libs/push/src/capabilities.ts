import type { ScimCapabilities } from '@hub/scim-client';
import { UNKNOWN_CAPABILITIES, type StoredCapabilities } from './target-config';

/** What discovery found, in the JSON form stored on the target. */
export function toStoredCapabilities(c: ScimCapabilities): StoredCapabilities {
  return {
    patch: c.patch,
    filter: c.filter.supported,
    etag: c.etag,
    bulk: { supported: c.bulk.supported, maxOperations: c.bulk.maxOperations },
    resourceTypes: Object.fromEntries(
      [...c.resourceTypes].map(([name, t]) => [
        name,
        { endpoint: t.endpoint, schema: t.schema, extensions: [...t.extensions] },
      ]),
    ),
    schemas: [...c.schemas],
  };
}

/** Discovery with the admin's overrides on top (where a target lies about itself). */
export function effectiveCapabilities(stored: unknown, overrides: unknown): StoredCapabilities {
  const base = isObject(stored) ? (stored as Partial<StoredCapabilities>) : {};
  const over = isObject(overrides) ? (overrides as Partial<StoredCapabilities>) : {};
  return {
    ...UNKNOWN_CAPABILITIES,
    ...base,
    ...over,
    resourceTypes: { ...(base.resourceTypes ?? {}), ...(over.resourceTypes ?? {}) },
    schemas: over.schemas ?? base.schemas ?? [],
  };
}

/** The target's endpoint for a hub resource type: configured, discovered, else `/<Type>s`. */
export function endpointFor(
  resourceType: string,
  capabilities: StoredCapabilities,
  configured?: string,
): string {
  if (configured) return configured;
  const found = capabilities.resourceTypes[resourceType]?.endpoint;
  if (found) return found.startsWith('/') ? found : `/${found}`;
  return `/${resourceType}s`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
