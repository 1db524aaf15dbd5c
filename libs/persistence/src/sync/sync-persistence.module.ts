import { Module } from '@nestjs/common';

const providers: never[] = [];

/** Repositories of the sync area. Needs PersistenceModule (PrismaService) in the application. */
@Module({ providers, exports: providers })
export class SyncPersistenceModule {}
