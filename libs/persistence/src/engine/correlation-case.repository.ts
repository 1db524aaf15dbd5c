import { Injectable } from '@nestjs/common';
import type { Db } from '../db';
import { PrismaService } from '../prisma.service';
import type { TenantId } from '../tenant-id';

export type CorrelationCaseStatus = 'open' | 'linked' | 'created' | 'ignored';

export interface CorrelationCaseRecord {
  id: string;
  resourceType: string;
  contributionId: string;
  candidates: string[];
  rule: number;
  status: CorrelationCaseStatus;
  resolvedBy: string | null;
  resolvedAt: Date | null;
  createdAt: Date;
}

interface Row {
  id: string;
  resource_type: string;
  contribution_id: string;
  candidates: string[];
  rule: number;
  status: CorrelationCaseStatus;
  resolved_by: string | null;
  resolved_at: Date | null;
  created_at: Date;
}

const COLUMNS =
  'id, resource_type, contribution_id, candidates::text[] AS candidates, rule, status, resolved_by, resolved_at, created_at';

const toRecord = (r: Row): CorrelationCaseRecord => ({
  id: r.id,
  resourceType: r.resource_type,
  contributionId: r.contribution_id,
  candidates: r.candidates,
  rule: r.rule,
  status: r.status,
  resolvedBy: r.resolved_by,
  resolvedAt: r.resolved_at,
  createdAt: r.created_at,
});

/** Correlation cases (ADR 0203): several golden records match one contribution; an admin decides. */
@Injectable()
export class CorrelationCaseRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Opens a case unless one is open for the contribution already (then its candidates are refreshed). */
  async open(
    tx: Db,
    tenantId: TenantId,
    c: { resourceType: string; contributionId: string; candidates: readonly string[]; rule: number },
  ): Promise<string> {
    const existing = await tx.$queryRawUnsafe<Array<{ id: string }>>(
      `UPDATE correlation_cases SET candidates = $3::uuid[], rule = $4
       WHERE tenant_id = $1::uuid AND contribution_id = $2::uuid AND status = 'open' RETURNING id`,
      tenantId,
      c.contributionId,
      c.candidates,
      c.rule,
    );
    if (existing[0]) return existing[0].id;
    const rows = await tx.$queryRawUnsafe<Array<{ id: string }>>(
      `INSERT INTO correlation_cases (id, tenant_id, resource_type, contribution_id, candidates, rule, status, created_at)
       VALUES (gen_random_uuid(), $1::uuid, $2, $3::uuid, $4::uuid[], $5, 'open', now()) RETURNING id`,
      tenantId,
      c.resourceType,
      c.contributionId,
      c.candidates,
      c.rule,
    );
    return rows[0]!.id;
  }

  async list(
    tenantId: TenantId,
    options: { status?: CorrelationCaseStatus; limit: number },
  ): Promise<CorrelationCaseRecord[]> {
    const rows = await this.prisma.$queryRawUnsafe<Row[]>(
      `SELECT ${COLUMNS} FROM correlation_cases WHERE tenant_id = $1::uuid AND ($2::text IS NULL OR status = $2)
       ORDER BY created_at, id LIMIT $3`,
      tenantId,
      options.status ?? null,
      options.limit,
    );
    return rows.map(toRecord);
  }

  /** The case under a row lock (two admins resolving at once: the second sees it closed). */
  async lock(tx: Db, tenantId: TenantId, id: string): Promise<CorrelationCaseRecord | null> {
    const rows = await tx.$queryRawUnsafe<Row[]>(
      `SELECT ${COLUMNS} FROM correlation_cases WHERE tenant_id = $1::uuid AND id = $2::uuid FOR UPDATE`,
      tenantId,
      id,
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async get(tenantId: TenantId, id: string): Promise<CorrelationCaseRecord | null> {
    const rows = await this.prisma.$queryRawUnsafe<Row[]>(
      `SELECT ${COLUMNS} FROM correlation_cases WHERE tenant_id = $1::uuid AND id = $2::uuid`,
      tenantId,
      id,
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** Whether an admin already ignored this contribution for exactly these candidates. */
  async ignored(
    tx: Db,
    tenantId: TenantId,
    contributionId: string,
    candidates: readonly string[],
  ): Promise<boolean> {
    const rows = await tx.$queryRawUnsafe<unknown[]>(
      `SELECT 1 FROM correlation_cases WHERE tenant_id = $1::uuid AND contribution_id = $2::uuid AND status = 'ignored'
         AND candidates @> $3::uuid[] AND candidates <@ $3::uuid[]`,
      tenantId,
      contributionId,
      candidates,
    );
    return rows.length > 0;
  }

  async close(
    tx: Db,
    tenantId: TenantId,
    id: string,
    status: Exclude<CorrelationCaseStatus, 'open'>,
    by: string,
  ): Promise<void> {
    await tx.$executeRawUnsafe(
      `UPDATE correlation_cases SET status = $3, resolved_by = $4, resolved_at = now() WHERE tenant_id = $1::uuid AND id = $2::uuid`,
      tenantId,
      id,
      status,
      by,
    );
  }

  /** A contribution that joined a record by other means closes its open case. */
  async closeForContribution(tx: Db, tenantId: TenantId, contributionId: string, by: string): Promise<void> {
    await tx.$executeRawUnsafe(
      `UPDATE correlation_cases SET status = 'linked', resolved_by = $3, resolved_at = now()
       WHERE tenant_id = $1::uuid AND contribution_id = $2::uuid AND status = 'open'`,
      tenantId,
      contributionId,
      by,
    );
  }
}
