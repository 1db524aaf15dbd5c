import { Injectable } from '@nestjs/common';
import { PrismaService } from '../prisma.service';
import { asTenantId, type TenantId } from '../tenant-id';

export interface ApiClientRecord {
  id: string;
  tenantId: TenantId;
  name: string;
  scopes: string[];
  sourceId: string | null;
  dialect: string;
  selfResourceId: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface ApiClientCredentials extends ApiClientRecord {
  secretHash: Buffer;
}

export interface NewApiClient {
  name: string;
  scopes: string[];
  secretHash: Buffer;
  sourceId?: string | null;
  dialect?: string;
  selfResourceId?: string | null;
  id?: string;
}

const LAST_USED_RESOLUTION_MS = 60_000;

@Injectable()
export class ApiClientRepository {
  constructor(private readonly prisma: PrismaService) {}

  async create(tenantId: TenantId, client: NewApiClient): Promise<ApiClientRecord> {
    const row = await this.prisma.apiClient.create({
      data: {
        id: client.id,
        tenantId,
        name: client.name,
        scopes: client.scopes,
        secretHash: Buffer.from(client.secretHash),
        sourceId: client.sourceId ?? null,
        dialect: client.dialect ?? 'rfc',
        selfResourceId: client.selfResourceId ?? null,
      },
    });
    return toRecord(row);
  }

  /**
   * The authentication entry point: the token names the client, the client names its tenant.
   * Returns the stored hash for a constant-time comparison by the caller.
   */
  async findCredentials(clientId: string): Promise<ApiClientCredentials | null> {
    const row = await this.prisma.apiClient.findUnique({ where: { id: clientId } });
    return row && { ...toRecord(row), secretHash: Buffer.from(row.secretHash) };
  }

  async list(tenantId: TenantId): Promise<ApiClientRecord[]> {
    const rows = await this.prisma.apiClient.findMany({ where: { tenantId }, orderBy: { createdAt: 'asc' } });
    return rows.map(toRecord);
  }

  async get(tenantId: TenantId, id: string): Promise<ApiClientRecord | null> {
    const row = await this.prisma.apiClient.findFirst({ where: { tenantId, id } });
    return row && toRecord(row);
  }

  async revoke(tenantId: TenantId, id: string): Promise<ApiClientRecord | null> {
    const { count } = await this.prisma.apiClient.updateMany({
      where: { tenantId, id, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    if (count === 0) return this.get(tenantId, id);
    return this.get(tenantId, id);
  }

  /** Records use at minute resolution so a busy client does not write on every request. */
  async touch(tenantId: TenantId, id: string, now = new Date()): Promise<void> {
    await this.prisma.apiClient.updateMany({
      where: {
        tenantId,
        id,
        OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: new Date(now.getTime() - LAST_USED_RESOLUTION_MS) } }],
      },
      data: { lastUsedAt: now },
    });
  }
}

function toRecord(row: {
  id: string;
  tenantId: string;
  name: string;
  scopes: string[];
  sourceId: string | null;
  dialect: string;
  selfResourceId: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}): ApiClientRecord {
  return {
    id: row.id,
    tenantId: asTenantId(row.tenantId),
    name: row.name,
    scopes: row.scopes,
    sourceId: row.sourceId,
    dialect: row.dialect,
    selfResourceId: row.selfResourceId,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    revokedAt: row.revokedAt,
  };
}
