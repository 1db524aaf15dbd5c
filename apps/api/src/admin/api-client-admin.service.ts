import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { issueApiToken, type Principal } from '@hub/auth';
import { ApiClientRepository, AuditRepository, asTenantId, type ApiClientRecord } from '@hub/persistence';
import { ApiClientAuthenticator } from '../auth/api-client-authenticator.service';
import type { ApiClientView, CreateApiClientDto } from './api-client.dto';

@Injectable()
export class ApiClientAdminService {
  constructor(
    private readonly clients: ApiClientRepository,
    private readonly audit: AuditRepository,
    private readonly authenticator: ApiClientAuthenticator,
  ) {}

  async list(principal: Principal): Promise<ApiClientView[]> {
    return (await this.clients.list(asTenantId(principal.tenantId))).map(toView);
  }

  /** The token is returned once, here, and never again. */
  async create(
    principal: Principal,
    dto: CreateApiClientDto,
    requestId?: string,
  ): Promise<ApiClientView & { token: string }> {
    const tenantId = asTenantId(principal.tenantId);
    const issued = issueApiToken(randomUUID());
    let created: ApiClientRecord;
    try {
      created = await this.clients.create(tenantId, {
        id: issued.clientId,
        name: dto.name,
        scopes: dto.scopes,
        secretHash: issued.secretHash,
        sourceId: dto.sourceId ?? null,
        dialect: dto.dialect ?? 'rfc',
      });
    } catch (error) {
      if ((error as { code?: string }).code === 'P2002')
        throw new ConflictException(`An API client named "${dto.name}" already exists`);
      if ((error as { code?: string }).code === 'P2003')
        throw new NotFoundException(`Source ${dto.sourceId} does not exist`);
      throw error;
    }
    await this.audit.append(tenantId, {
      actorType: 'api_client',
      actorId: principal.clientId,
      action: 'api_client.created',
      resourceType: 'ApiClient',
      resourceId: created.id,
      detail: { name: created.name, scopes: created.scopes },
      requestId,
    });
    return { ...toView(created), token: issued.token };
  }

  async revoke(principal: Principal, id: string, requestId?: string): Promise<ApiClientView> {
    const tenantId = asTenantId(principal.tenantId);
    const revoked = await this.clients.revoke(tenantId, id);
    if (!revoked) throw new NotFoundException(`API client ${id} does not exist`);
    this.authenticator.forget(id);
    await this.audit.append(tenantId, {
      actorType: 'api_client',
      actorId: principal.clientId,
      action: 'api_client.revoked',
      resourceType: 'ApiClient',
      resourceId: id,
      requestId,
    });
    return toView(revoked);
  }
}

function toView(c: ApiClientRecord): ApiClientView {
  return {
    id: c.id,
    name: c.name,
    scopes: c.scopes,
    sourceId: c.sourceId,
    dialect: c.dialect,
    createdAt: c.createdAt.toISOString(),
    lastUsedAt: c.lastUsedAt?.toISOString() ?? null,
    revokedAt: c.revokedAt?.toISOString() ?? null,
  };
}
