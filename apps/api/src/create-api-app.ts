import { ValidationPipe, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import type { HubConfig } from '@hub/config';
import { FrameworkLogFilter, requestIdMiddleware } from '@hub/observability';
import { ApiModule } from './api.module';
import { buildOpenApiDocument } from './openapi/build-openapi';
import { ApiErrorFilter } from './scim/scim-error.filter';

export interface AppOptions {
  /** Off when several apps share one process (embedded mode): that process handles signals itself. */
  shutdownHooks?: boolean;
  /** `service` field of every log line. */
  serviceName?: string;
}

/** Builds the API application (not yet listening); shared by main, the embedded mode and tests. */
export async function createApiApp(config: HubConfig, options: AppOptions = {}): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(
    ApiModule.forRoot(config, options.serviceName ?? 'api'),
    {
      bufferLogs: true,
      bodyParser: false,
    },
  );
  app.useLogger(new FrameworkLogFilter(app.get(Logger)));
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestIdMiddleware);
  const limit = config.http.bodyLimitBytes;
  app.useBodyParser('json', {
    limit,
    type: ['application/json', 'application/scim+json', 'application/*+json'],
  });
  // SCIM routes answer with SCIM error bodies, every other route with the admin JSON shape.
  app.useGlobalFilters(new ApiErrorFilter());
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      stopAtFirstError: false,
    }),
  );
  if (options.shutdownHooks !== false) app.enableShutdownHooks();
  buildOpenApiDocument(app);
  return app;
}
