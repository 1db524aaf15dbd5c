import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { ApiClientAdminService } from './api-client-admin.service';
import { ApiClientsController } from './api-clients.controller';
import { AuditController } from './audit.controller';
import { DiagnosticsController } from './diagnostics.controller';
import { TenantController } from './tenant.controller';

@Module({
  imports: [AuthModule],
  controllers: [TenantController, ApiClientsController, DiagnosticsController, AuditController],
  providers: [ApiClientAdminService],
})
export class AdminModule {}
