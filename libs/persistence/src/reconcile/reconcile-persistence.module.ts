import { Module } from '@nestjs/common';
import { ReconcileRunRepository } from './reconcile-run.repository';
import { ReconcileStoreRepository } from './reconcile-store.repository';

const providers = [ReconcileRunRepository, ReconcileStoreRepository];

/** Repositories of the reconcile area. Needs PersistenceModule (PrismaService) in the application. */
@Module({ providers, exports: providers })
export class ReconcilePersistenceModule {}
