import 'reflect-metadata';
import { loadConfig } from '@hub/config';
import { applyMigrations } from '@hub/persistence';
import { createWorkerApp } from './create-worker-app';

async function main(): Promise<void> {
  const config = loadConfig(process.env, { require: ['DATABASE_URL', 'REDIS_URL'] });
  if (config.database.migrateOnStart) await applyMigrations(config.database.url);
  await createWorkerApp(config);
}

main().catch((error: Error) => {
  process.stderr.write(
    JSON.stringify({
      level: 'fatal',
      service: 'worker',
      msg: error.name === 'ConfigError' ? error.message : error.stack,
    }) + '\n',
  );
  process.exit(1);
});
