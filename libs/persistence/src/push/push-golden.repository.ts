import { Injectable } from '@nestjs/common';
import { PrismaService } from '../prisma.service';
import type { TenantId } from '../tenant-id';

/** A golden record as the push pipeline reads it (members are read apart, in pages). */
export interface PushGoldenRecord {
  id: string;
  resourceType: string;
  attributes: Record<string, unknown>;
  version: number;
  lifecycleState: 'active' | 'suspended' | 'deleted';
}

/** Read side of golden records for Active Push: the record, its members, its groups. */
@Injectable()
export class PushGoldenRepository {
  constructor(private readonly prisma: PrismaService) {}

  async get(tenantId: TenantId, resourceId: string): Promise<PushGoldenRecord | null> {
    const rows = await this.prisma.rawQuery<{
      id: string;
      resource_type: string;
      attributes: Record<string, unknown>;
      version: number;
      lifecycle_state: PushGoldenRecord['lifecycleState'];
    }>(
      `SELECT id, resource_type, attributes, version, lifecycle_state::text AS lifecycle_state
       FROM resources WHERE tenant_id = $1::uuid AND id = $2::uuid`,
      [tenantId, resourceId],
      'push_golden_get',
    );
    const r = rows[0];
    return r
      ? {
          id: r.id,
          resourceType: r.resource_type,
          attributes: r.attributes,
          version: r.version,
          lifecycleState: r.lifecycle_state,
        }
      : null;
  }

  /** Member ids of a group, in one column (50,000 uuids is a few MB at most). */
  async memberIds(tenantId: TenantId, groupId: string): Promise<string[]> {
    const rows = await this.prisma.rawQuery<{ member_id: string }>(
      'SELECT member_id FROM group_members WHERE tenant_id = $1::uuid AND group_id = $2::uuid ORDER BY seq',
      [tenantId, groupId],
    );
    return rows.map((r) => r.member_id);
  }

  /** Groups listing the resource as a direct member. */
  async groupIdsOf(tenantId: TenantId, memberId: string): Promise<string[]> {
    const rows = await this.prisma.rawQuery<{ group_id: string }>(
      'SELECT group_id FROM group_members WHERE tenant_id = $1::uuid AND member_id = $2::uuid',
      [tenantId, memberId],
      'push_golden_groups_of',
    );
    return rows.map((r) => r.group_id);
  }

  /** Ids of a tenant's resources of a type, keyset-paged (initial fan-out to a new target). */
  async idsOfType(
    tenantId: TenantId,
    resourceType: string,
    after: string | undefined,
    limit: number,
  ): Promise<Array<{ id: string; version: number }>> {
    return this.prisma.rawQuery<{ id: string; version: number }>(
      `SELECT id, version FROM resources WHERE tenant_id = $1::uuid AND resource_type = $2
         AND ($3::uuid IS NULL OR id > $3::uuid) ORDER BY id LIMIT $4`,
      [tenantId, resourceType, after ?? null, limit],
    );
  }
}
