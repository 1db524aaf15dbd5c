import { Module } from '@nestjs/common';
import { AggregationModule } from '@hub/aggregation';
import { PushModule } from '@hub/push';
import { ProvisioningLogController } from './provisioning-log.controller';
import { TargetAdminService } from './target-admin.service';
import { TargetProvisioningService } from './target-provisioning.service';
import { TargetsController } from './targets.controller';

/** Admin API of push targets: configuration, discovery, dialect probe, provisioning, visibility. */
@Module({
  imports: [AggregationModule, PushModule],
  controllers: [TargetsController, ProvisioningLogController],
  providers: [TargetAdminService, TargetProvisioningService],
})
export class TargetsAdminModule {}
