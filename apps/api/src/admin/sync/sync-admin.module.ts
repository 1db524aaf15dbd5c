import { Module } from '@nestjs/common';
import { SyncModule } from '@hub/sync';
import { SyncRunsController } from './sync-runs.controller';

/**
 * Admin API of source sync runs: trigger, watch, confirm or discard held deletions. Exports the
 * sync services so the sources admin (schedules) can use them.
 */
@Module({ imports: [SyncModule], controllers: [SyncRunsController], exports: [SyncModule] })
export class SyncAdminModule {}
