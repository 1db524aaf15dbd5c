import { Module } from '@nestjs/common';
import { AggregationModule } from '@hub/aggregation';
import { PushPersistenceModule } from '@hub/persistence';
import { TargetAdminService } from './target-admin.service';
import { TargetsController } from './targets.controller';

/** Admin API of push targets: configuration, discovery, dialect probe, links, provisioning log. */
@Module({
  imports: [AggregationModule, PushPersistenceModule],
  controllers: [TargetsController],
  providers: [TargetAdminService],
})
export class TargetsAdminModule {}
