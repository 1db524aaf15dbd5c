import { Module } from '@nestjs/common';
import { SyncModule } from '@hub/sync';
import { SyncRunHandler } from './sync-run.handler';

/** The worker's sync jobs (handlers are discovered by JobRunner through `@OnJob`). */
@Module({ imports: [SyncModule], providers: [SyncRunHandler] })
export class SyncWorkerModule {}
