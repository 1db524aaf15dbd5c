import { Module } from '@nestjs/common';

/** Admin API of source sync runs: trigger, watch, confirm or discard held deletions. */
@Module({})
export class SyncAdminModule {}
