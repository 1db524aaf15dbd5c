// `npm run migrate`: applies pending migrations to DATABASE_URL and exits (production deploys).
import { loadConfig } from '@hub/config';
import { applyMigrations } from './migrator';

async function main(): Promise<void> {
  const config = loadConfig(process.env, { require: ['DATABASE_URL'] });
  const report = await applyMigrations(config.database.url);
  console.log(
    JSON.stringify({ msg: 'migrations applied', applied: report.applied, alreadyApplied: report.alreadyApplied }),
  );
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
