import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { Logger } from 'nestjs-pino';
import type { HubConfig } from '@hub/config';
import { WorkerModule } from './worker.module';

export async function createWorkerApp(
  config: HubConfig,
  options: { shutdownHooks?: boolean } = {},
): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  if (options.shutdownHooks !== false) app.enableShutdownHooks();
  return app;
}
