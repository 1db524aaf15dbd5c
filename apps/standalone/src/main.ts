import 'reflect-metadata';
import path from 'node:path';
import { loadConfig } from '@hub/config';
import { createLogger } from '@hub/observability';
import { PrismaService, tenantBootstrapRepositories, applyMigrations, asTenantId } from '@hub/persistence';
import { SecretBox } from '@hub/secrets';
import { createApiApp } from '../../api/src/create-api-app';
import { createWorkerApp } from '../../worker/src/create-worker-app';
import { startDemoApps, type RunningDemoApps } from './demo-apps';
import { DEMO_TENANT, ensureDemoScimClient, ensureDemoTenant } from './demo-tenant';
import { startEmbeddedInfrastructure } from './embedded-infrastructure';
import { writeHubEnv } from './hub-env';

/**
 * `npm start`: the whole hub in one process on the embedded default — PostgreSQL and Redis are
 * started here unless DATABASE_URL / REDIS_URL point elsewhere, migrations apply, a demo tenant
 * exists, and the API and the worker run side by side. Production runs apps/api and apps/worker
 * as separate processes instead.
 */
async function main(): Promise<void> {
  const dataDir = path.resolve(process.env.HUB_DATA_DIR ?? '.scim-hub');
  const infra = await startEmbeddedInfrastructure(dataDir, process.env);
  Object.assign(process.env, infra.env);
  const config = loadConfig({ ...process.env, ...infra.env }, { require: ['DATABASE_URL', 'REDIS_URL'] });
  const log = createLogger(config, 'hub');
  for (const line of infra.started) log.info(line);

  const migrations = await applyMigrations(config.database.url);
  log.info(
    { applied: migrations.applied, alreadyApplied: migrations.alreadyApplied },
    'database schema up to date',
  );

  const prisma = new PrismaService(config);
  const bootstrap = tenantBootstrapRepositories(prisma);
  const demo = await ensureDemoTenant(bootstrap, dataDir);
  const scimToken = await ensureDemoScimClient(bootstrap, dataDir);
  let demoApps: RunningDemoApps | undefined;
  if (process.env.DEMO_APPS !== 'false') {
    const tenant = await bootstrap.tenants.findBySlug(DEMO_TENANT);
    demoApps = await startDemoApps(
      prisma,
      new SecretBox(config.secretsKey),
      asTenantId(tenant!.id),
      dataDir,
      config.http.port,
    );
    for (const app of demoApps.apps)
      log.info({ app: app.name, baseUrl: app.baseUrl }, 'demo SCIM app started');
  }
  await prisma.close();

  const worker = await createWorkerApp(config, { shutdownHooks: false, serviceName: 'hub' });
  const api = await createApiApp(config, { shutdownHooks: false, serviceName: 'hub' });
  await api.listen(config.http.port, config.http.host);
  writeHubEnv(dataDir, { DATABASE_URL: config.database.url, REDIS_URL: config.redis.url });

  const base = config.http.publicBaseUrl;
  process.stdout.write(
    banner(base, demo.token, dataDir) + (demoApps ? demoBanner(base, scimToken, demoApps) : '\n'),
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    await api.close();
    await worker.close();
    await demoApps?.close();
    await infra.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

function banner(base: string, token: string, dataDir: string): string {
  return `
scim-hub is running (embedded mode, data in ${dataDir})

  SCIM base URL for clients:  ${base}/scim/v2
  Admin token (demo tenant):  ${token}

  Try it:
    curl -s -H "Authorization: Bearer ${token}" ${base}/admin/v1/tenant
    curl -s ${base}/health/ready

  Ctrl-C stops the hub; its data stays in ${dataDir} for the next start.
`;
}

const DEMO_USER = 'fry@planetexpress.com';

/** The first five minutes: create a user at the hub, see it at both demo apps. */
function demoBanner(base: string, scimToken: string, demo: RunningDemoApps): string {
  const user = JSON.stringify({
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName: DEMO_USER,
    name: { givenName: 'Philip', familyName: 'Fry' },
    emails: [{ type: 'work', value: DEMO_USER, primary: true }],
  });
  const filter = encodeURIComponent(`userName eq "${DEMO_USER}"`);
  return `
  Demo apps (SCIM targets of the demo tenant; the hub pushes users and groups to both):
${demo.apps.map((a) => `    ${a.name}  ${a.baseUrl}`).join('\n')}

  Create a user through the hub's SCIM server:
    curl -s -X POST ${base}/scim/v2/Users -H "Authorization: Bearer ${scimToken}" -H 'Content-Type: application/scim+json' -d '${user}'

  Then see it at both demo apps:
${demo.apps.map((a) => `    curl -s -H "Authorization: Bearer ${demo.token}" '${a.baseUrl}/Users?filter=${filter}'`).join('\n')}

`;
}

main().catch((error: Error) => {
  process.stderr.write(JSON.stringify({ level: 'fatal', service: 'standalone', msg: error.message }) + '\n');
  process.exit(1);
});
