import { Module } from '@nestjs/common';
import { ENGINE_WRITE_GATEWAY } from '../engine/engine-gateway.token';
import { ChangeFeedRepository } from './change-feed.repository';
import { InboundSourceRepository } from './inbound-source.repository';
import { INBOUND_WRITE_GATEWAY } from './inbound-write.types';
import { ScimDefinitionRepository } from './scim-definition.repository';
import { ScimResourceRepository } from './scim-resource.repository';
import { TenantSettingsRepository } from './tenant-settings.repository';

const providers = [
  ScimResourceRepository,
  ScimDefinitionRepository,
  InboundSourceRepository,
  TenantSettingsRepository,
  ChangeFeedRepository,
  // Writes go through the aggregation engine (ADR 0203), provided by @hub/aggregation's global
  // AggregationModule under ENGINE_WRITE_GATEWAY (persistence does not import that library).
  { provide: INBOUND_WRITE_GATEWAY, useExisting: ENGINE_WRITE_GATEWAY },
];

/**
 * Repositories of the inbound SCIM server. Needs PersistenceModule (PrismaService, AuditRepository)
 * and AggregationModule (the write gateway) in the application.
 */
@Module({ providers, exports: providers })
export class ScimPersistenceModule {}
