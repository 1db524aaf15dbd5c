import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { provisionTenant, type ProvisionedTenant } from '../../libs/auth/src';
import { loadConfig, type HubConfig } from '../../libs/config/src';
import {
  PrismaService,
  asTenantId,
  tenantBootstrapRepositories,
  type TenantBootstrapRepositories,
  type TenantId,
} from '../../libs/persistence/src';
import { createApiApp } from '../../apps/api/src/create-api-app';
import { createWorkerApp } from '../../apps/worker/src/create-worker-app';
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

/** A whole hub for one test file: its own database, the API, a worker, one tenant. */
export interface RunningHub {
  env: TestEnv;
  api: RunningApi;
  worker: INestApplicationContext;
  tenantId: TenantId;
  close(): Promise<void>;
}

/**
 * Starts a hub with a fresh secrets key, the API on loopback and a worker consuming `queues`
 * (`WORKER_QUEUES`), and creates a tenant. `close` stops what started, in reverse order.
 */
export async function startHub(queues: string, overrides: Record<string, string> = {}): Promise<RunningHub> {
  const env = await createTestEnv({
    SECRETS_KEY: randomBytes(32).toString('base64'),
    WORKER_QUEUES: queues,
    ...overrides,
  });
  const api = await startApi(env.config);
  const worker = await createWorkerApp(env.config, { shutdownHooks: false });
  const tenantId = asTenantId((await env.createTenant()).tenant.id);
  return {
    env,
    api,
    worker,
    tenantId,
    close: async () => {
      await worker.close();
      await api.close();
      await env.close();
    },
  };
}
