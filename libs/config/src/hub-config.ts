/** The validated, typed configuration every process reads once at boot. */
export interface HubConfig {
  env: 'development' | 'production' | 'test';
  database: { url: string; poolSize: number; migrateOnStart: boolean };
  redis: { url: string; queuePrefix: string };
  http: { host: string; port: number; publicBaseUrl: string; bodyLimitBytes: number };
  log: { level: string; format: 'json' | 'pretty' };
  /** 32-byte key for secrets at rest (AES-256-GCM); absent only where nothing is encrypted yet. */
  secretsKey: Buffer | undefined;
  worker: { queues: string[] | 'all'; concurrency: number; shutdownGraceMs: number; lockMs: number };
  outbox: { relay: boolean; pollMs: number; batchSize: number };
}

export const HUB_CONFIG = Symbol('HUB_CONFIG');
