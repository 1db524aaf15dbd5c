import type { INestApplicationContext } from '@nestjs/common';
import { BatchAggregationService, EngineConfigService } from '../../libs/aggregation/src';
import { EngineStore, asTenantId } from '../../libs/persistence/src';

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';

/**
 * Loads users through the engine's set-based path (one transaction per batch: contributions,
 * golden records, provenance, outbox rows) as a source sync does — thousands per second instead
 * of one SCIM POST each. `app` is any hub application context (the API in tests and benches).
 */
export async function loadUsers(
  app: INestApplicationContext,
  tenantId: string,
  sourceId: string,
  from: number,
  to: number,
  attributes: (i: number) => Record<string, unknown>,
  batchSize = 500,
): Promise<void> {
  const tenant = asTenantId(tenantId);
  const batches = app.get(BatchAggregationService, { strict: false });
  const store = app.get(EngineStore, { strict: false });
  const configs = app.get(EngineConfigService, { strict: false });
  for (let start = from; start < to; start += batchSize) {
    const end = Math.min(to, start + batchSize);
    await store.transaction(async (tx) => {
      const config = await configs.get(tenant, 'User', tx);
      const drafts = [];
      for (let i = start; i < end; i++)
        drafts.push({
          resourceType: 'User',
          sourceKey: `u${i}`,
          externalId: null,
          attributes: { schemas: [USER_SCHEMA], ...attributes(i) },
        });
      await batches.assertBatch(
        tx,
        { tenantId: tenant, sourceId, actor: { type: 'source', id: sourceId }, channel: 'test' },
        config,
        drafts,
      );
    });
  }
}
