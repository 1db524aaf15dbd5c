import type { ContributionDraft } from '@hub/aggregation';
import type { SourceRecord } from '@hub/connectors';
import { ScimError, validateResource, type ResourceTypeSchemas } from '@hub/scim';
import type { SyncFailure } from '@hub/persistence';

/**
 * A connector record as the engine takes it: validated against the tenant's schema for its type
 * (the same rules as an inbound SCIM POST), in canonical form. A record that fails is the run's
 * counted failure with its reason, never the run's end.
 */
export function recordToDraft(
  record: SourceRecord,
  schemas: ResourceTypeSchemas,
): { draft: ContributionDraft } | { failure: SyncFailure } {
  const fail = (reason: string) => ({
    failure: { resourceType: record.resourceType, sourceKey: record.sourceKey, reason: reason.slice(0, 500) },
  });
  if (typeof record.sourceKey !== 'string' || record.sourceKey === '') return fail('the record has no key');
  let attributes: Record<string, unknown>;
  try {
    attributes = validateResource(record.attributes, schemas, { context: 'create' });
  } catch (error) {
    if (error instanceof ScimError) return fail(error.detail ?? error.message);
    throw error;
  }
  return {
    draft: {
      resourceType: record.resourceType,
      sourceKey: record.sourceKey,
      externalId: record.externalId ?? null,
      attributes,
    },
  };
}
