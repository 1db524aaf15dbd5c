import { Module, type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { HubConfigModule, type HubConfig } from '@hub/config';
import { httpLoggerParams } from '@hub/observability';
import { PersistenceModule } from '@hub/persistence';
import { QueueModule } from '@hub/queue';
import { SecretsModule } from '@hub/secrets';
import { AdminModule } from './admin/admin.module';
import { AuthModule } from './auth/auth.module';
import { HealthController } from './health/health.controller';
import { ReadinessService } from './health/readiness.service';
import { OpenApiController } from './openapi/openapi.controller';
import { OpenApiDocument } from './openapi/openapi-document';
import { ScimModule } from './scim/scim.module';

@Module({})
export class ApiModule {
  static forRoot(config: HubConfig, serviceName = 'api'): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        HubConfigModule.forRoot(config),
        LoggerModule.forRoot(httpLoggerParams(config, serviceName)),
        PersistenceModule,
        SecretsModule,
        QueueModule.forRoot(),
        AuthModule,
        AdminModule,
        ScimModule,
      ],
      controllers: [HealthController, OpenApiController],
      providers: [ReadinessService, OpenApiDocument],
    };
  }
}
