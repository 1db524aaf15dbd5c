import { BullModule } from '@nestjs/bullmq';
import { Global, Module, type DynamicModule } from '@nestjs/common';
import { HUB_CONFIG, type HubConfig } from '@hub/config';
import { ALL_QUEUES } from './jobs';
import { JobQueue } from './job-queue.service';
import { redisConnectionOptions } from './redis-connection';
import { RedisProbe } from './redis-probe.service';

@Global()
@Module({})
export class QueueModule {
  static forRoot(): DynamicModule {
    return {
      module: QueueModule,
      imports: [
        BullModule.forRootAsync({
          inject: [HUB_CONFIG],
          useFactory: (config: HubConfig) => ({
            connection: redisConnectionOptions(config.redis.url),
            prefix: config.redis.queuePrefix,
          }),
        }),
        BullModule.registerQueue(...ALL_QUEUES.map((name) => ({ name }))),
      ],
      providers: [JobQueue, RedisProbe],
      exports: [JobQueue, RedisProbe, BullModule],
    };
  }
}
