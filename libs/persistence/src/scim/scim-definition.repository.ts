import { Injectable } from '@nestjs/common';
import { PrismaService } from '../prisma.service';
import type { TenantId } from '../tenant-id';

export type ScimDefinitionKind = 'schema' | 'resourceType';

export interface ScimDefinitionRecord {
  kind: ScimDefinitionKind;
  /** Schema URN or resource type name, as the admin spelled it. */
  key: string;
  definition: Record<string, unknown>;
  updatedAt: Date;
}

/** A tenant's own SCIM schemas and resource types, stored after libs/scim validated them. */
@Injectable()
export class ScimDefinitionRepository {
  constructor(private readonly prisma: PrismaService) {}

  async list(tenantId: TenantId): Promise<ScimDefinitionRecord[]> {
    const rows = await this.prisma.scimDefinition.findMany({
      where: { tenantId },
      orderBy: { createdAt: 'asc' },
    });
    return rows.map((r) => ({
      kind: r.kind as ScimDefinitionKind,
      key: r.key,
      definition: r.definition as Record<string, unknown>,
      updatedAt: r.updatedAt,
    }));
  }

  /** Keys compare case-insensitively (URNs and type names do in SCIM): one row per lower-cased key. */
  async put(tenantId: TenantId, kind: ScimDefinitionKind, key: string, definition: object): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      await tx.scimDefinition.deleteMany({
        where: { tenantId, kind, key: { equals: key, mode: 'insensitive' } },
      });
      await tx.scimDefinition.create({ data: { tenantId, kind, key, definition } });
    });
  }

  async remove(tenantId: TenantId, kind: ScimDefinitionKind, key: string): Promise<boolean> {
    const { count } = await this.prisma.scimDefinition.deleteMany({
      where: { tenantId, kind, key: { equals: key, mode: 'insensitive' } },
    });
    return count > 0;
  }

  /** Whether any stored resource still has this type (a type in use cannot be removed). */
  async typeInUse(tenantId: TenantId, resourceType: string): Promise<boolean> {
    const row = await this.prisma.resource.findFirst({
      where: { tenantId, resourceType: { equals: resourceType, mode: 'insensitive' } },
      select: { id: true },
    });
    return row !== null;
  }
}
