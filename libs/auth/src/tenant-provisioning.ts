import { randomUUID } from 'node:crypto';
import type { ApiClientRepository, AuditRepository, Tenant, TenantRepository } from '@hub/persistence';
import { issueApiToken } from './api-token';
import { Scope } from './scopes';

export interface ProvisionedTenant {
  tenant: Tenant;
  adminClientId: string;
  /** Shown once; only its hash is stored. */
  adminToken: string;
}

const SLUG = /^[a-z0-9][a-z0-9-]{1,62}$/;

/** Creates a tenant with its first admin API client (operator command and the embedded demo). */
export async function provisionTenant(
  repos: { tenants: TenantRepository; clients: ApiClientRepository; audit: AuditRepository },
  slug: string,
  name = slug,
): Promise<ProvisionedTenant> {
  if (!SLUG.test(slug))
    throw new Error(`tenant slug "${slug}" must be 2-63 lower-case letters, digits or dashes`);
  if (await repos.tenants.findBySlug(slug)) throw new Error(`tenant "${slug}" already exists`);
  const tenant = await repos.tenants.create(slug, name);
  const admin = await issueAdminClient(repos, tenant, 'bootstrap-admin');
  return { tenant, ...admin };
}

/** A new admin client for an existing tenant (e.g. when the first token was lost). */
export async function issueAdminClient(
  repos: { clients: ApiClientRepository; audit: AuditRepository },
  tenant: Tenant,
  name: string,
): Promise<{ adminClientId: string; adminToken: string }> {
  const issued = issueApiToken(randomUUID());
  await repos.clients.create(tenant.id, {
    id: issued.clientId,
    name,
    scopes: [Scope.Admin],
    secretHash: issued.secretHash,
  });
  await repos.audit.append(tenant.id, {
    actorType: 'operator',
    action: 'api_client.created',
    resourceType: 'ApiClient',
    resourceId: issued.clientId,
    detail: { name, scopes: [Scope.Admin] },
  });
  return { adminClientId: issued.clientId, adminToken: issued.token };
}
