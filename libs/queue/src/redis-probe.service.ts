import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import Redis from 'ioredis';
import { HUB_CONFIG, type HubConfig } from '@hub/config';
import { redisConnectionOptions } from './redis-connection';

/** A small connection of its own for readiness checks: it fails fast instead of queueing commands. */
@Injectable()
export class RedisProbe implements OnModuleDestroy {
  private readonly redis: Redis;

  constructor(@Inject(HUB_CONFIG) config: HubConfig) {
    this.redis = new Redis({
      ...redisConnectionOptions(config.redis.url),
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      connectTimeout: 2000,
    });
    this.redis.on('error', () => undefined); // reported through ping(), not as an unhandled event
  }

  async ping(): Promise<void> {
    if (this.redis.status === 'wait' || this.redis.status === 'end') await this.redis.connect();
    await this.redis.ping();
  }

  async onModuleDestroy(): Promise<void> {
    this.redis.disconnect();
  }
}
