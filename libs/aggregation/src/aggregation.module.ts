import { Global, Module } from '@nestjs/common';
import { ENGINE_WRITE_GATEWAY, ScimDefinitionRepository } from '@hub/persistence';
import { AggregationService } from './aggregation.service';
import { BatchAggregationService } from './batch-aggregation.service';
import { EngineAdminService } from './engine-admin.service';
import { EngineConfigService } from './engine-config.service';
import { EngineInboundWriter } from './engine-inbound.writer';
import { EngineSweepService } from './engine-sweep.service';
import { RecomputeService } from './recompute.service';
import { TenantSchemas } from './tenant-schemas.service';

const providers = [
  TenantSchemas,
  EngineConfigService,
  AggregationService,
  BatchAggregationService,
  EngineInboundWriter,
  EngineAdminService,
  RecomputeService,
  EngineSweepService,
];

/**
 * The aggregation engine on Postgres (ADR 0203). Global so that ScimPersistenceModule can bind
 * the inbound gateway to ENGINE_WRITE_GATEWAY without importing this library. Needs
 * PersistenceModule (global) for the repositories.
 */
@Global()
@Module({
  providers: [
    ...providers,
    ScimDefinitionRepository,
    { provide: ENGINE_WRITE_GATEWAY, useExisting: EngineInboundWriter },
  ],
  exports: [...providers, ENGINE_WRITE_GATEWAY],
})
export class AggregationModule {}
