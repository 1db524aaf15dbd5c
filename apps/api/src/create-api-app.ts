import { ValidationPipe, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import type { HubConfig } from '@hub/config';
import { ApiModule } from './api.module';
import { AdminErrorFilter } from './common/admin-error.filter';

/** Builds the API application (not yet listening); shared by main, the embedded mode and tests. */
export async function createApiApp(config: HubConfig, options: { shutdownHooks?: boolean } = {}): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(ApiModule.forRoot(config), {
    bufferLogs: true,
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  const limit = config.http.bodyLimitBytes;
  app.useBodyParser('json', { limit, type: ['application/json', 'application/scim+json', 'application/*+json'] });
  app.useGlobalFilters(new AdminErrorFilter());
  app.useGlobalPipes(
    new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true, stopAtFirstError: false }),
  );
  // Off when several apps share one process (embedded mode): that process handles signals itself.
  if (options.shutdownHooks !== false) app.enableShutdownHooks();
  return app;
}
