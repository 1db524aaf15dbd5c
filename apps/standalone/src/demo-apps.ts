import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startDemoScimApp, type DemoScimApp } from '@hub/demo-scim-app';
import {
  AuditRepository,
  TargetRepository,
  targetSecretsBinding,
  type PrismaService,
  type TenantId,
} from '@hub/persistence';
import { identityUsersAndGroups } from '@hub/push';
import type { SecretBox } from '@hub/secrets';

/** The two demo applications `npm start` runs and registers as targets of the demo tenant. */
export const DEMO_APPS = ['demo-app-a', 'demo-app-b'] as const;

export interface RunningDemoApps {
  apps: DemoScimApp[];
  /** The bearer token both demo apps take (for the printed curl commands). */
  token: string;
  close(): Promise<void>;
}

/**
 * Starts the demo SCIM apps on loopback (next to the hub's port when free) and makes sure each is
 * a target of the demo tenant with its current URL: created on the first start, its base URL and
 * token refreshed on later ones, left alone otherwise (an admin's changes to it stay).
 */
export async function startDemoApps(
  prisma: PrismaService,
  secretBox: SecretBox,
  tenantId: TenantId,
  dataDir: string,
  hubPort: number,
): Promise<RunningDemoApps> {
  const token = readOrCreate(
    path.join(dataDir, 'demo-apps.token'),
    () => `demo_${randomBytes(18).toString('base64url')}`,
  );
  const apps: DemoScimApp[] = [];
  try {
    for (const [i, name] of DEMO_APPS.entries())
      apps.push(await startDemoScimApp({ name, token, ...(hubPort > 0 ? { port: hubPort + 1 + i } : {}) }));
    await registerTargets(prisma, secretBox, tenantId, apps, token);
  } catch (error) {
    await Promise.all(apps.map((a) => a.close()));
    throw error;
  }
  return { apps, token, close: async () => void (await Promise.all(apps.map((a) => a.close()))) };
}

async function registerTargets(
  prisma: PrismaService,
  secretBox: SecretBox,
  tenantId: TenantId,
  apps: DemoScimApp[],
  token: string,
): Promise<void> {
  const targets = new TargetRepository(prisma);
  const audit = new AuditRepository(prisma);
  const existing = await targets.list(tenantId);
  for (const app of apps) {
    const seal = (id: string) => secretBox.seal({ token }, targetSecretsBinding(tenantId, id));
    const found = existing.find((t) => t.name === app.name);
    if (found) {
      await targets.update(tenantId, found.id, { baseUrl: app.baseUrl, sealedSecrets: seal(found.id) });
      continue;
    }
    const created = await targets.create(
      tenantId,
      {
        name: app.name,
        baseUrl: app.baseUrl,
        auth: { kind: 'bearer' },
        resourceTypes: identityUsersAndGroups(),
        rateLimit: 50,
        concurrency: 4,
      },
      seal,
    );
    await audit.append(tenantId, {
      actorType: 'operator',
      action: 'target.created',
      resourceType: 'Target',
      resourceId: created.id,
      detail: { name: app.name, baseUrl: app.baseUrl, demo: true },
    });
  }
}

function readOrCreate(file: string, make: () => string): string {
  if (fs.existsSync(file)) {
    const saved = fs.readFileSync(file, 'utf8').trim();
    if (saved) return saved;
  }
  const value = make();
  fs.writeFileSync(file, value + '\n', { mode: 0o600 });
  return value;
}
