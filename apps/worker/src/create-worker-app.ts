import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { Logger } from 'nestjs-pino';
import type { HubConfig } from '@hub/config';
import { FrameworkLogFilter } from '@hub/observability';
import { WorkerModule } from './worker.module';

export async function createWorkerApp(
  config: HubConfig,
  options: { shutdownHooks?: boolean; serviceName?: string } = {},
): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(
    WorkerModule.forRoot(config, options.serviceName ?? 'worker'),
    {
      bufferLogs: true,
    },
  );
  app.useLogger(new FrameworkLogFilter(app.get(Logger)));
  if (options.shutdownHooks !== false) app.enableShutdownHooks();
  return app;
}
