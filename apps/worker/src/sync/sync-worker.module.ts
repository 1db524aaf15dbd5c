import { Module } from '@nestjs/common';

/** The worker's sync jobs (handlers are discovered by JobRunner through `@OnJob`). */
@Module({})
export class SyncWorkerModule {}
