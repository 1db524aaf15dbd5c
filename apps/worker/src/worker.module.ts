import { Module, type DynamicModule } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import { AggregationModule } from '@hub/aggregation';
import { HubConfigModule, type HubConfig } from '@hub/config';
import { loggerOptions } from '@hub/observability';
import { PersistenceModule } from '@hub/persistence';
import { QueueModule } from '@hub/queue';
import { SecretsModule } from '@hub/secrets';
import { EngineRecomputeHandler } from './aggregation/engine-recompute.handler';
import { EngineSweepHandler } from './aggregation/engine-sweep.handler';
import { ResourceChangedHandler } from './handlers/resource-changed.handler';
import { WorkerPingHandler } from './handlers/worker-ping.handler';
import { OutboxRelay } from './outbox/outbox-relay.service';
import { JobRunner } from './job-runner.service';
import { PushWorkerModule } from './push/push-worker.module';
import { ReconcileWorkerModule } from './reconcile/reconcile-worker.module';
import { SyncWorkerModule } from './sync/sync-worker.module';

/** The worker: BullMQ processors and job schedulers, no HTTP controllers. */
@Module({})
export class WorkerModule {
  static forRoot(config: HubConfig, serviceName = 'worker'): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        HubConfigModule.forRoot(config),
        LoggerModule.forRoot({ pinoHttp: loggerOptions(config, serviceName) }),
        DiscoveryModule,
        PersistenceModule,
        SecretsModule,
        QueueModule.forRoot(),
        AggregationModule,
        SyncWorkerModule,
        PushWorkerModule,
        ReconcileWorkerModule,
      ],
      providers: [
        JobRunner,
        OutboxRelay,
        WorkerPingHandler,
        ResourceChangedHandler,
        EngineRecomputeHandler,
        EngineSweepHandler,
      ],
    };
  }
}
