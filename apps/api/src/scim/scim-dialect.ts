import type { PatchDialect, ResourceTypeSchemas } from '@hub/scim';

/**
 * Client quirks in POST/PUT bodies, per dialect (PATCH quirks live in libs/scim's normaliser).
 * `entra`: Microsoft Entra ID lists schema URNs the server does not have (e.g. its ADSCIM Group
 * schema on group creation) without sending attributes under them; those URNs are dropped.
 * Under `rfc` and `okta` such a body is refused, as RFC 7643 §3 says.
 */
export function normaliseResourceBody(
  body: unknown,
  view: ResourceTypeSchemas,
  dialect: PatchDialect,
): unknown {
  if (dialect !== 'entra' || body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  const b = body as Record<string, unknown>;
  const key = Object.keys(b).find((k) => k.toLowerCase() === 'schemas');
  if (!key || !Array.isArray(b[key])) return body;
  const keys = new Set(Object.keys(b).map((k) => k.toLowerCase()));
  const schemas = (b[key] as unknown[]).filter(
    (urn) => typeof urn !== 'string' || view.findSchema(urn) !== undefined || keys.has(urn.toLowerCase()),
  );
  return { ...b, [key]: schemas };
}
