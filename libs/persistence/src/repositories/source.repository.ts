import { Injectable } from '@nestjs/common';
import { Prisma } from '../generated/client';
import { PrismaService } from '../prisma.service';
import { asTenantId, type TenantId } from '../tenant-id';

export const SOURCE_KINDS = [
  'scim_inbound',
  'ldap',
  'rest',
  'scim_upstream',
  'target',
  'self_service',
  'jit',
] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

/** Per resource type: may this source create identities (RC), update them (RU)? */
export type SourceRoles = Record<string, { create: boolean; update: boolean }>;

export interface SourceRecord {
  id: string;
  tenantId: TenantId;
  name: string;
  kind: SourceKind;
  roles: SourceRoles;
  config: Record<string, unknown>;
  /** Sealed secrets (see @hub/secrets); only services that need them open them. */
  sealedSecrets: Buffer | null;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewSource {
  name: string;
  kind: SourceKind;
  roles: SourceRoles;
  config: Record<string, unknown>;
  enabled: boolean;
}

export class SourceNameTakenError extends Error {
  constructor(readonly sourceName: string) {
    super(`a source named "${sourceName}" already exists`);
  }
}

@Injectable()
export class SourceRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Creates the row, then lets `seal` bind the secrets to its id, in one transaction. */
  async create(
    tenantId: TenantId,
    source: NewSource,
    seal?: (sourceId: string) => Buffer,
  ): Promise<SourceRecord> {
    try {
      return await this.prisma.$transaction(async (tx) => {
        const row = await tx.source.create({
          data: {
            tenantId,
            name: source.name,
            kind: source.kind,
            roles: source.roles,
            config: source.config as object,
            enabled: source.enabled,
          },
        });
        if (!seal) return toRecord(row);
        const sealed = await tx.source.update({
          where: { id: row.id },
          data: { secrets: Uint8Array.from(seal(row.id)) },
        });
        return toRecord(sealed);
      });
    } catch (error) {
      throw translate(error, source.name);
    }
  }

  async list(tenantId: TenantId): Promise<SourceRecord[]> {
    return (await this.prisma.source.findMany({ where: { tenantId }, orderBy: { createdAt: 'asc' } })).map(
      toRecord,
    );
  }

  async get(tenantId: TenantId, id: string): Promise<SourceRecord | null> {
    const row = await this.prisma.source.findFirst({ where: { tenantId, id } });
    return row && toRecord(row);
  }

  async update(
    tenantId: TenantId,
    id: string,
    changes: Partial<NewSource> & { sealedSecrets?: Buffer | null },
  ): Promise<SourceRecord | null> {
    const data: Prisma.SourceUpdateManyMutationInput = {};
    if (changes.name !== undefined) data.name = changes.name;
    if (changes.roles !== undefined) data.roles = changes.roles;
    if (changes.config !== undefined) data.config = changes.config as object;
    if (changes.enabled !== undefined) data.enabled = changes.enabled;
    if (changes.sealedSecrets !== undefined)
      data.secrets = changes.sealedSecrets ? Uint8Array.from(changes.sealedSecrets) : null;
    try {
      const { count } = await this.prisma.source.updateMany({ where: { tenantId, id }, data });
      return count ? this.get(tenantId, id) : null;
    } catch (error) {
      throw translate(error, changes.name ?? '');
    }
  }

  async delete(tenantId: TenantId, id: string): Promise<boolean> {
    const { count } = await this.prisma.source.deleteMany({ where: { tenantId, id } });
    return count > 0;
  }
}

function translate(error: unknown, name: string): unknown {
  if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002')
    return new SourceNameTakenError(name);
  return error;
}

function toRecord(row: {
  id: string;
  tenantId: string;
  name: string;
  kind: string;
  roles: unknown;
  config: unknown;
  secrets: Uint8Array | null;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}): SourceRecord {
  return {
    id: row.id,
    tenantId: asTenantId(row.tenantId),
    name: row.name,
    kind: row.kind as SourceKind,
    roles: (row.roles ?? {}) as SourceRoles,
    config: (row.config ?? {}) as Record<string, unknown>,
    sealedSecrets: row.secrets ? Buffer.from(row.secrets) : null,
    enabled: row.enabled,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
