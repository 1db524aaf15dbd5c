import { Injectable, Logger } from '@nestjs/common';
import { parseApiToken, secretMatches, type Principal, type Scope } from '@hub/auth';
import { ApiClientRepository } from '@hub/persistence';

/** Resolves a bearer token to a principal, or null. Never says why to the caller. */
@Injectable()
export class ApiClientAuthenticator {
  private readonly logger = new Logger(ApiClientAuthenticator.name);

  constructor(private readonly clients: ApiClientRepository) {}

  async authenticate(token: string): Promise<Principal | null> {
    const parsed = parseApiToken(token);
    if (!parsed) return null;
    const client = await this.clients.findCredentials(parsed.clientId);
    // Compare even when the client does not exist, so timing does not reveal which ids exist.
    const matches = secretMatches(parsed.secret, client?.secretHash ?? Buffer.alloc(32));
    if (!client || !matches || client.revokedAt) return null;
    this.clients.touch(client.tenantId, client.id).catch((e: Error) => this.logger.warn({ err: e.message }, 'lastUsedAt update failed'));
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
}
