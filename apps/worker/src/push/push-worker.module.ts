import { Module } from '@nestjs/common';
import { PushModule } from '@hub/push';
import { PushBatchHandler } from './push-batch.handler';
import { PushCatchUpHandler } from './push-catch-up.handler';
import { PushResourceHandler } from './push-resource.handler';

/** The worker's push jobs (handlers are discovered by JobRunner through `@OnJob`). */
@Module({
  imports: [PushModule],
  providers: [PushResourceHandler, PushBatchHandler, PushCatchUpHandler],
  exports: [PushModule],
})
export class PushWorkerModule {}
