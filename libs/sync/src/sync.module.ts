import { Module } from '@nestjs/common';
import { SyncPersistenceModule } from '@hub/persistence';
import { SyncRequests } from './sync-requests.service';
import { SyncRunner } from './sync-runner.service';
import { SyncWithdrawals } from './sync-withdrawals.service';

const providers = [SyncRunner, SyncRequests, SyncWithdrawals];

/**
 * Source sync runs (ADR 0503). Needs PersistenceModule, AggregationModule, SecretsModule and
 * QueueModule (all global) in the application.
 */
@Module({ imports: [SyncPersistenceModule], providers, exports: [...providers, SyncPersistenceModule] })
export class SyncModule {}
