import { Module } from '@nestjs/common';
import { SyncRunRepository } from './sync-run.repository';
import { SyncSourceRepository } from './sync-source.repository';

const providers = [SyncRunRepository, SyncSourceRepository];

/** Repositories of the sync area. Needs PersistenceModule (PrismaService) in the application. */
@Module({ providers, exports: providers })
export class SyncPersistenceModule {}
