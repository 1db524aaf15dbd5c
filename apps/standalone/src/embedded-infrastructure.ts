import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  REDIS_INSTALL_HINT,
  redisServerAvailable,
  startEmbeddedPostgres,
  startRedisServer,
} from '@hub/embedded';
import { ensureDatabase, withDatabase } from '@hub/persistence';

export interface Infrastructure {
  env: Record<string, string>;
  started: string[];
  stop(): Promise<void>;
}

/**
 * Fills in what the environment leaves out: a real PostgreSQL from npm binaries when there is no
 * DATABASE_URL, a private redis-server when there is no REDIS_URL, and a secrets key kept beside
 * the data. Everything lives under dataDir, so a restart finds its data again.
 */
export async function startEmbeddedInfrastructure(
  dataDir: string,
  env: NodeJS.ProcessEnv,
): Promise<Infrastructure> {
  fs.mkdirSync(dataDir, { recursive: true });
  const stops: Array<() => Promise<void>> = [];
  const started: string[] = [];
  const out: Record<string, string> = {};
  try {
    if (!env.DATABASE_URL) {
      const pg = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'postgres') });
      stops.push(() => pg.stop());
      out.DATABASE_URL = withDatabase(pg.url, 'scim_hub');
      await ensureDatabase(out.DATABASE_URL);
      started.push(
        `PostgreSQL (embedded) on 127.0.0.1:${pg.port}, data in ${path.join(dataDir, 'postgres')}`,
      );
    }
    if (!env.REDIS_URL) {
      if (!redisServerAvailable()) throw new Error(REDIS_INSTALL_HINT);
      const redis = await startRedisServer({ dataDir: path.join(dataDir, 'redis') });
      stops.push(() => redis.stop());
      out.REDIS_URL = redis.url;
      started.push(`redis-server on 127.0.0.1:${redis.port}, data in ${path.join(dataDir, 'redis')}`);
    }
    if (!env.SECRETS_KEY) out.SECRETS_KEY = readOrCreateKey(path.join(dataDir, 'secrets.key'));
  } catch (error) {
    await stopAll(stops);
    throw error;
  }
  return { env: out, started, stop: () => stopAll(stops) };
}

async function stopAll(stops: Array<() => Promise<void>>): Promise<void> {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
}

function readOrCreateKey(file: string): string {
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  const key = randomBytes(32).toString('base64');
  fs.writeFileSync(file, key + '\n', { mode: 0o600 });
  return key;
}
