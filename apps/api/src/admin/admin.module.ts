import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { ApiClientAdminService } from './api-client-admin.service';
import { ApiClientsController } from './api-clients.controller';
import { AuditController } from './audit.controller';
import { DiagnosticsController } from './diagnostics.controller';
import { SourceAdminService } from './source-admin.service';
import { SourcesController } from './sources.controller';
import { TenantController } from './tenant.controller';

@Module({
  imports: [AuthModule],
  controllers: [
    TenantController,
    ApiClientsController,
    SourcesController,
    DiagnosticsController,
    AuditController,
  ],
  providers: [ApiClientAdminService, SourceAdminService],
})
export class AdminModule {}
