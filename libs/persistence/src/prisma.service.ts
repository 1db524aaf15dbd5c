import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { HUB_CONFIG, type HubConfig } from '@hub/config';
import { PrismaClient } from './generated/client';

/** The one Prisma client of a process, on node-postgres through Prisma's driver adapter. */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleDestroy {
  constructor(@Inject(HUB_CONFIG) config: HubConfig) {
    super({ adapter: new PrismaPg({ connectionString: config.database.url, max: config.database.poolSize }) });
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
  }
}
