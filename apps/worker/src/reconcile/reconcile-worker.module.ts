import { Module } from '@nestjs/common';

/** The worker's reconcile jobs (handlers are discovered by JobRunner through `@OnJob`). */
@Module({})
export class ReconcileWorkerModule {}
