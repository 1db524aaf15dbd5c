import 'reflect-metadata';
import { loadConfig } from '@hub/config';
import { applyMigrations } from '@hub/persistence';
import { createApiApp } from './create-api-app';

async function main(): Promise<void> {
  const config = loadConfig(process.env, { require: ['DATABASE_URL', 'REDIS_URL'] });
  if (config.database.migrateOnStart) await applyMigrations(config.database.url);
  const app = await createApiApp(config);
  await app.listen(config.http.port, config.http.host);
}

main().catch((error: Error) => {
  // Before the logger exists: one JSON line, no stack for configuration errors.
  process.stderr.write(
    JSON.stringify({
      level: 'fatal',
      service: 'api',
      msg: error.name === 'ConfigError' ? error.message : error.stack,
    }) + '\n',
  );
  process.exit(1);
});
