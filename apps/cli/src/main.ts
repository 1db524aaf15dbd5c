import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { provisionTenant, issueAdminClient } from '@hub/auth';
import { loadConfig } from '@hub/config';
import { PrismaService, tenantBootstrapRepositories, applyMigrations } from '@hub/persistence';

const USAGE = `Operator commands (DATABASE_URL, or the running embedded hub's .scim-hub/hub.env):
  npm run hub -- migrate                        apply pending database migrations
  npm run hub -- tenant create <slug> [name]    create a tenant; prints its first admin token once
  npm run hub -- tenant admin-token <slug>      issue another admin token for a tenant`;

/** Operator CLI: the tasks that come before any tenant token exists. */
async function main(argv: string[]): Promise<void> {
  const [command, sub, ...rest] = argv;
  if (!command || command === 'help' || command === '--help') {
    console.log(USAGE);
    return;
  }
  const env = { ...embeddedHubEnv(), ...process.env };
  const config = loadConfig(env, { require: ['DATABASE_URL'] });
  if (command === 'migrate') {
    const report = await applyMigrations(config.database.url);
    console.log(
      `applied: ${report.applied.join(', ') || 'nothing'}; already applied: ${report.alreadyApplied}`,
    );
    return;
  }
  const prisma = new PrismaService(config);
  const repos = tenantBootstrapRepositories(prisma);
  try {
    if (command === 'tenant' && sub === 'create' && rest[0]) {
      const created = await provisionTenant(repos, rest[0], rest.slice(1).join(' ') || rest[0]);
      console.log(`tenant ${created.tenant.slug} (${created.tenant.id}) created`);
      console.log(`admin token (shown once, store it now): ${created.adminToken}`);
      return;
    }
    if (command === 'tenant' && sub === 'admin-token' && rest[0]) {
      const tenant = await repos.tenants.findBySlug(rest[0]);
      if (!tenant) throw new Error(`tenant "${rest[0]}" does not exist`);
      const issued = await issueAdminClient(repos, tenant, `admin-${new Date().toISOString()}`);
      console.log(`admin token (shown once, store it now): ${issued.adminToken}`);
      return;
    }
    throw new Error(`unknown command: ${argv.join(' ')}\n\n${USAGE}`);
  } finally {
    await prisma.close();
  }
}

/** Where the embedded hub started by `npm start` keeps its database URLs. */
function embeddedHubEnv(): Record<string, string> {
  const file = path.resolve(process.env.HUB_DATA_DIR ?? '.scim-hub', 'hub.env');
  if (!fs.existsSync(file)) return {};
  return Object.fromEntries(
    fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

main(process.argv.slice(2)).catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
