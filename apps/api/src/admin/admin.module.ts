import { Module } from '@nestjs/common';
import { AggregationModule } from '@hub/aggregation';
import { AuthModule } from '../auth/auth.module';
import { ApiClientAdminService } from './api-client-admin.service';
import { ApiClientsController } from './api-clients.controller';
import { AuditController } from './audit.controller';
import { DiagnosticsController } from './diagnostics.controller';
import { EngineAdminController } from './engine/engine-admin.controller';
import { SourceAdminService } from './source-admin.service';
import { SourcesController } from './sources.controller';
import { TenantController } from './tenant.controller';
import { ReconcileAdminModule } from './reconcile/reconcile-admin.module';
import { SyncAdminModule } from './sync/sync-admin.module';
import { TargetsAdminModule } from './targets/targets-admin.module';

@Module({
  imports: [AuthModule, AggregationModule, SyncAdminModule, TargetsAdminModule, ReconcileAdminModule],
  controllers: [
    TenantController,
    ApiClientsController,
    SourcesController,
    DiagnosticsController,
    AuditController,
    EngineAdminController,
  ],
  providers: [ApiClientAdminService, SourceAdminService],
})
export class AdminModule {}
