import { Module } from '@nestjs/common';
import { ReconcilePersistenceModule, SyncPersistenceModule } from '@hub/persistence';
import { PushModule } from '@hub/push';
import { ReconcileRequests } from './reconcile-requests.service';
import { ReconcileRunner } from './reconcile-runner.service';
import { SourceReconciler } from './source-reconciler.service';
import { TargetOwnedService } from './target-owned.service';
import { TargetReconciler } from './target-reconciler.service';

const providers = [
  TargetOwnedService,
  TargetReconciler,
  SourceReconciler,
  ReconcileRunner,
  ReconcileRequests,
];

/**
 * Reconciliation (ADR 0702). Needs PersistenceModule, AggregationModule, SecretsModule and
 * QueueModule in the application (both apps have them). Loading it also installs the push
 * pipeline's after-push hook that reads target-owned attributes.
 */
@Module({
  imports: [ReconcilePersistenceModule, SyncPersistenceModule, PushModule],
  providers,
  exports: [...providers, ReconcilePersistenceModule],
})
export class ReconcileModule {}
