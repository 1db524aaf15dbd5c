import { Injectable, Logger } from '@nestjs/common';
import { parseApiToken, secretMatches, type Principal, type Scope } from '@hub/auth';
import { ApiClientRepository } from '@hub/persistence';

/** Resolves a bearer token to a principal, or null. Never says why to the caller. */
@Injectable()
export class ApiClientAuthenticator {
  private readonly logger = new Logger(ApiClientAuthenticator.name);
  /** When this process last recorded use of each client: keeps the write off the hot path. */
  private readonly touched = new Map<string, number>();

  constructor(private readonly clients: ApiClientRepository) {}

  async authenticate(token: string): Promise<Principal | null> {
    const parsed = parseApiToken(token);
    if (!parsed) return null;
    const client = await this.clients.findCredentials(parsed.clientId);
    // Compare even when the client does not exist, so timing does not reveal which ids exist.
    const matches = secretMatches(parsed.secret, client?.secretHash ?? Buffer.alloc(32));
    if (!client || !matches || client.revokedAt) return null;
    this.clients
      .touch(client.tenantId, client.id)
      .catch((e: Error) => this.logger.warn({ err: e.message }, 'lastUsedAt update failed'));
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

  private recordUse(tenantId: Parameters<ApiClientRepository['touch']>[0], clientId: string): void {
    const now = Date.now();
    if (now - (this.touched.get(clientId) ?? 0) < TOUCH_INTERVAL_MS) return;
    this.touched.set(clientId, now);
    if (this.touched.size > 10_000) this.touched.clear(); // bounded; worst case a few extra writes
    this.clients.touch(tenantId, clientId).catch((e: Error) => this.logger.warn({ err: e.message }, 'lastUsedAt update failed'));
  }
}

const TOUCH_INTERVAL_MS = 60_000;
