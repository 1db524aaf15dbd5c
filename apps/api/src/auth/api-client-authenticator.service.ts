import { Injectable, Logger } from '@nestjs/common';
import { parseApiToken, secretMatches, type Principal, type Scope } from '@hub/auth';
import { ApiClientRepository, type ApiClientCredentials, type TenantId } from '@hub/persistence';

/** How long a replica may reuse a client's stored credentials before reading them again. */
export const CREDENTIALS_TTL_MS = 2_000;
const TOUCH_INTERVAL_MS = 60_000;
const MAX_CACHED = 10_000;

/**
 * Resolves a bearer token to a principal, or null; never says why to the caller. Stored
 * credentials are reused for CREDENTIALS_TTL_MS so a busy client costs no query per request;
 * the secret is still checked on every request, and a revocation takes effect at once on the
 * replica that made it and within the TTL on the others.
 */
@Injectable()
export class ApiClientAuthenticator {
  private readonly logger = new Logger(ApiClientAuthenticator.name);
  private readonly cache = new Map<string, { credentials: ApiClientCredentials | null; until: number }>();
  /** When this process last recorded use of each client: keeps the write off the hot path. */
  private readonly touched = new Map<string, number>();

  constructor(private readonly clients: ApiClientRepository) {}

  async authenticate(token: string): Promise<Principal | null> {
    const parsed = parseApiToken(token);
    if (!parsed) return null;
    const client = await this.credentials(parsed.clientId);
    // Compare even when the client does not exist, so timing does not reveal which ids exist.
    const matches = secretMatches(parsed.secret, client?.secretHash ?? Buffer.alloc(32));
    if (!client || !matches || client.revokedAt) return null;
    this.recordUse(client.tenantId, client.id);
    return {
      tenantId: client.tenantId,
      clientId: client.id,
      clientName: client.name,
      sourceId: client.sourceId,
      scopes: client.scopes as Scope[],
      dialect: client.dialect,
      selfResourceId: client.selfResourceId,
    };
  }

  /** Drops what this replica remembers of a client (after revocation or a change of scopes). */
  forget(clientId: string): void {
    this.cache.delete(clientId);
  }

  private async credentials(clientId: string): Promise<ApiClientCredentials | null> {
    const now = Date.now();
    const hit = this.cache.get(clientId);
    if (hit && hit.until > now) return hit.credentials;
    const credentials = await this.clients.findCredentials(clientId);
    if (this.cache.size >= MAX_CACHED) this.cache.clear(); // bounded; unknown ids cannot grow it forever
    this.cache.set(clientId, { credentials, until: now + CREDENTIALS_TTL_MS });
    return credentials;
  }

  private recordUse(tenantId: TenantId, clientId: string): void {
    const now = Date.now();
    if (now - (this.touched.get(clientId) ?? 0) < TOUCH_INTERVAL_MS) return;
    if (this.touched.size >= MAX_CACHED) this.touched.clear();
    this.touched.set(clientId, now);
    this.clients
      .touch(tenantId, clientId)
      .catch((e: Error) => this.logger.warn({ err: e.message }, 'lastUsedAt update failed'));
  }
}
