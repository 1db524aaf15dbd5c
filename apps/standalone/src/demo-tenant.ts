import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import {
  issueAdminClient,
  issueApiToken,
  parseApiToken,
  provisionTenant,
  Scope,
  secretMatches,
} from '@hub/auth';
import type { ApiClientRepository, AuditRepository, TenantRepository } from '@hub/persistence';

export const DEMO_TENANT = 'demo';

/**
 * Makes sure the demo tenant exists and returns a working admin token for it. The token is kept
 * in dataDir (mode 0600) only so that a restart prints the same one; production tenants are made
 * with `npm run hub -- tenant create`, which shows the token once and keeps nothing.
 */
export async function ensureDemoTenant(
  repos: { tenants: TenantRepository; clients: ApiClientRepository; audit: AuditRepository },
  dataDir: string,
): Promise<{ token: string; created: boolean }> {
  const tokenFile = path.join(dataDir, 'demo-admin.token');
  const tenant = await repos.tenants.findBySlug(DEMO_TENANT);
  if (!tenant) {
    const provisioned = await provisionTenant(repos, DEMO_TENANT, 'Demo tenant');
    fs.writeFileSync(tokenFile, provisioned.adminToken + '\n', { mode: 0o600 });
    return { token: provisioned.adminToken, created: true };
  }
  const saved = fs.existsSync(tokenFile) ? fs.readFileSync(tokenFile, 'utf8').trim() : '';
  if (saved && (await tokenStillValid(repos.clients, saved))) return { token: saved, created: false };
  const fresh = await issueAdminClient(repos, tenant, `demo-admin-${Date.now()}`);
  fs.writeFileSync(tokenFile, fresh.adminToken + '\n', { mode: 0o600 });
  return { token: fresh.adminToken, created: false };
}

/**
 * A SCIM client of the demo tenant (an "HR system" with scim:read and scim:write), so the
 * printed curl that creates a user works as it is. Kept like the admin token, for the same reason.
 */
export async function ensureDemoScimClient(
  repos: { tenants: TenantRepository; clients: ApiClientRepository; audit: AuditRepository },
  dataDir: string,
): Promise<string> {
  const tokenFile = path.join(dataDir, 'demo-scim-client.token');
  const saved = fs.existsSync(tokenFile) ? fs.readFileSync(tokenFile, 'utf8').trim() : '';
  if (saved && (await tokenStillValid(repos.clients, saved))) return saved;
  const tenant = await repos.tenants.findBySlug(DEMO_TENANT);
  if (!tenant) throw new Error(`the ${DEMO_TENANT} tenant does not exist`);
  const issued = issueApiToken(randomUUID());
  const scopes = [Scope.ScimRead, Scope.ScimWrite];
  await repos.clients.create(tenant.id, {
    id: issued.clientId,
    name: `demo-hr-${Date.now()}`,
    scopes,
    secretHash: issued.secretHash,
  });
  await repos.audit.append(tenant.id, {
    actorType: 'operator',
    action: 'api_client.created',
    resourceType: 'ApiClient',
    resourceId: issued.clientId,
    detail: { name: 'demo-hr', scopes },
  });
  fs.writeFileSync(tokenFile, issued.token + '\n', { mode: 0o600 });
  return issued.token;
}

async function tokenStillValid(clients: ApiClientRepository, token: string): Promise<boolean> {
  const parsed = parseApiToken(token);
  if (!parsed) return false;
  const client = await clients.findCredentials(parsed.clientId);
  return !!client && !client.revokedAt && secretMatches(parsed.secret, client.secretHash);
}
