import { Global, Module } from '@nestjs/common';
import {
  CorrelationCaseRepository,
  EngineBatchStore,
  EngineRuleSetRepository,
  EngineStore,
  RecomputeRunRepository,
} from './engine';
import { PrismaService } from './prisma.service';
import { ApiClientRepository } from './repositories/api-client.repository';
import { AuditRepository } from './repositories/audit.repository';
import { OutboxRepository } from './repositories/outbox.repository';
import { SourceRepository } from './repositories/source.repository';
import { TenantRepository } from './repositories/tenant.repository';
import { WorkerPingRepository } from './repositories/worker-ping.repository';

const repositories = [
  TenantRepository,
  ApiClientRepository,
  AuditRepository,
  WorkerPingRepository,
  SourceRepository,
  OutboxRepository,
  EngineStore,
  EngineBatchStore,
  EngineRuleSetRepository,
  CorrelationCaseRepository,
  RecomputeRunRepository,
];

/** Needs HUB_CONFIG from the importing app's ConfigModule. */
@Global()
@Module({ providers: [PrismaService, ...repositories], exports: [PrismaService, ...repositories] })
export class PersistenceModule {}
