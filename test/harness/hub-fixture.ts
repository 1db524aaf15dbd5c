import type { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { provisionTenant, type ProvisionedTenant } from '../../libs/auth/src';
import { loadConfig, type HubConfig } from '../../libs/config/src';
import {
  PrismaService,
  tenantBootstrapRepositories,
  type TenantBootstrapRepositories,
} from '../../libs/persistence/src';
import { createApiApp } from '../../apps/api/src/create-api-app';
import { createTestDatabase, testRedisUrl } from './database';

/** A test file's own database, Redis key prefix and configuration. */
export interface TestEnv {
  config: HubConfig;
  env: Record<string, string>;
  prisma: PrismaService;
  repos: TenantBootstrapRepositories;
  createTenant(slug?: string): Promise<ProvisionedTenant>;
  close(): Promise<void>;
}

export async function createTestEnv(overrides: Record<string, string> = {}): Promise<TestEnv> {
  const db = await createTestDatabase();
  const env = {
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    REDIS_URL: testRedisUrl(),
    QUEUE_PREFIX: `t${randomUUID().slice(0, 8)}`,
    LOG_LEVEL: 'silent',
    DATABASE_POOL_SIZE: '5',
    ...overrides,
  };
  const config = loadConfig(env);
  const prisma = new PrismaService(config);
  const repos = tenantBootstrapRepositories(prisma);
  return {
    config,
    env,
    prisma,
    repos,
    createTenant: (slug = `t-${randomUUID().slice(0, 8)}`) => provisionTenant(repos, slug),
    close: async () => {
      await prisma.close();
      await db.drop();
    },
  };
}

export interface RunningApi {
  app: INestApplication;
  baseUrl: string;
  close(): Promise<void>;
}

/** The real API application listening on a loopback port. */
export async function startApi(config: HubConfig): Promise<RunningApi> {
  const app = await createApiApp(
    { ...config, http: { ...config.http, host: '127.0.0.1', port: 0 } },
    { shutdownHooks: false },
  );
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, baseUrl: `http://127.0.0.1:${port}`, close: () => app.close() };
}
