import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres, startRedisServer } from '../../libs/embedded/src';
import { applyMigrations } from '../../libs/persistence/src/migrator';
import { TEMPLATE_DATABASE, withDatabaseName } from './database';
import { harnessState } from './state';

/**
 * Starts one real PostgreSQL (npm binaries) and one redis-server on loopback for the whole run,
 * migrates a template database once, and builds dist/ for tests that spawn real processes.
 * Each test file then clones its own database from the template (see database.ts).
 */
export default async function globalSetup(): Promise<void> {
  if (harnessState.postgres) return; // integration and e2e projects share one setup
  const root = path.resolve(__dirname, '..', '..');
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build.js')], { cwd: root, stdio: 'inherit' });

  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'scim-hub-test-'));
  fs.chmodSync(work, 0o755);
  const [postgres, redis] = await Promise.all([
    startEmbeddedPostgres({ dataDir: path.join(work, 'pg') }),
    startRedisServer(),
  ]);
  harnessState.postgres = postgres;
  harnessState.redis = redis;
  harnessState.workDir = work;

  const admin = postgres.url;
  await import('pg').then(async ({ default: pg }) => {
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    await client.query(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
    await client.end();
  });
  await applyMigrations(withDatabaseName(admin, TEMPLATE_DATABASE));

  process.env.TEST_POSTGRES_URL = admin;
  process.env.TEST_REDIS_URL = redis.url;
  process.env.TEST_WORK_DIR = work;
}
