import { Module } from '@nestjs/common';

/** The worker's push jobs (handlers are discovered by JobRunner through `@OnJob`). */
@Module({})
export class PushWorkerModule {}
