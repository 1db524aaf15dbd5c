import { Injectable } from '@nestjs/common';
import type { Db } from '../db';
import { PrismaService } from '../prisma.service';
import type { TenantId } from '../tenant-id';

/** A tenant's engine configuration for one resource type, as stored (validated before saving). */
export interface EngineRuleSetRecord {
  resourceType: string;
  /** `{ rules, defaultRule, transforms }` (@hub/engine RuleSet without resourceType). */
  authority: Record<string, unknown>;
  /** Match rules in order. */
  correlation: unknown[];
  /** Lifecycle policy or null. */
  lifecycle: Record<string, unknown> | null;
  revision: number;
  updatedAt: Date;
}

interface Row {
  resource_type: string;
  authority: Record<string, unknown>;
  correlation: unknown[];
  lifecycle: Record<string, unknown> | null;
  revision: number;
  updated_at: Date;
}

const toRecord = (r: Row): EngineRuleSetRecord => ({
  resourceType: r.resource_type,
  authority: r.authority,
  correlation: r.correlation,
  lifecycle: r.lifecycle,
  revision: r.revision,
  updatedAt: r.updated_at,
});

@Injectable()
export class EngineRuleSetRepository {
  constructor(private readonly prisma: PrismaService) {}

  async get(
    tenantId: TenantId,
    resourceType: string,
    db: Db = this.prisma,
  ): Promise<EngineRuleSetRecord | null> {
    const rows = await db.$queryRawUnsafe<Row[]>(
      `SELECT resource_type, authority, correlation, lifecycle, revision, updated_at FROM engine_rule_sets
       WHERE tenant_id = $1::uuid AND resource_type = $2`,
      tenantId,
      resourceType,
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** Only the revision: the per-write check that a cached compiled rule set is current. */
  async revision(tenantId: TenantId, resourceType: string, db: Db = this.prisma): Promise<number> {
    const rows = await db.$queryRawUnsafe<Array<{ revision: number }>>(
      `SELECT revision FROM engine_rule_sets WHERE tenant_id = $1::uuid AND resource_type = $2`,
      tenantId,
      resourceType,
    );
    return rows[0]?.revision ?? 0;
  }

  async list(tenantId: TenantId): Promise<EngineRuleSetRecord[]> {
    const rows = await this.prisma.$queryRawUnsafe<Row[]>(
      `SELECT resource_type, authority, correlation, lifecycle, revision, updated_at FROM engine_rule_sets
       WHERE tenant_id = $1::uuid ORDER BY resource_type`,
      tenantId,
    );
    return rows.map(toRecord);
  }

  /** Stores a new configuration; the revision goes up by one. Returns the stored record. */
  async save(
    tenantId: TenantId,
    resourceType: string,
    value: { authority: unknown; correlation: unknown; lifecycle: unknown },
    db: Db = this.prisma,
  ): Promise<EngineRuleSetRecord> {
    const rows = await db.$queryRawUnsafe<Row[]>(
      `INSERT INTO engine_rule_sets (tenant_id, resource_type, authority, correlation, lifecycle, revision, updated_at)
       VALUES ($1::uuid, $2, $3::jsonb, $4::jsonb, $5::jsonb, 1, now())
       ON CONFLICT (tenant_id, resource_type) DO UPDATE SET authority = EXCLUDED.authority,
         correlation = EXCLUDED.correlation, lifecycle = EXCLUDED.lifecycle,
         revision = engine_rule_sets.revision + 1, updated_at = now()
       RETURNING resource_type, authority, correlation, lifecycle, revision, updated_at`,
      tenantId,
      resourceType,
      JSON.stringify(value.authority),
      JSON.stringify(value.correlation),
      value.lifecycle === null || value.lifecycle === undefined ? null : JSON.stringify(value.lifecycle),
    );
    return toRecord(rows[0]!);
  }
}
