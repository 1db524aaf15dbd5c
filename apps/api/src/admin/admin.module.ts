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

@Module({
  imports: [AuthModule, AggregationModule],
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
