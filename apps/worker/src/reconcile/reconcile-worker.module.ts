import { Module } from '@nestjs/common';
import { ReconcileModule } from '@hub/reconcile';
import { ReconcileRunHandler } from './reconcile-run.handler';

/** The worker's reconcile jobs (handlers are discovered by JobRunner through `@OnJob`). */
@Module({ imports: [ReconcileModule], providers: [ReconcileRunHandler] })
export class ReconcileWorkerModule {}
