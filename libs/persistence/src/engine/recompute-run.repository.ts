import { Injectable } from '@nestjs/common';
import { PrismaService } from '../prisma.service';
import type { TenantId } from '../tenant-id';

export type RecomputeStatus = 'queued' | 'running' | 'done' | 'failed' | 'superseded';

export interface RecomputeRunRecord {
  id: string;
  resourceType: string;
  revision: number;
  status: RecomputeStatus;
  total: number;
  processed: number;
  changed: number;
  cursor: string | null;
  error: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  createdAt: Date;
}

interface Row {
  id: string;
  resource_type: string;
  revision: number;
  status: RecomputeStatus;
  total: number;
  processed: number;
  changed: number;
  cursor: string | null;
  error: string | null;
  started_at: Date | null;
  finished_at: Date | null;
  created_at: Date;
}

const COLUMNS =
  'id, resource_type, revision, status, total, processed, changed, cursor, error, started_at, finished_at, created_at';

const toRecord = (r: Row): RecomputeRunRecord => ({
  id: r.id,
  resourceType: r.resource_type,
  revision: r.revision,
  status: r.status,
  total: r.total,
  processed: r.processed,
  changed: r.changed,
  cursor: r.cursor,
  error: r.error,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  createdAt: r.created_at,
});

/** Background recomputes after a rule change, with progress an admin can watch (ADR 0203). */
@Injectable()
export class RecomputeRunRepository {
  constructor(private readonly prisma: PrismaService) {}

  async create(
    tenantId: TenantId,
    resourceType: string,
    revision: number,
    total: number,
  ): Promise<RecomputeRunRecord> {
    const rows = await this.prisma.$queryRawUnsafe<Row[]>(
      `INSERT INTO recompute_runs (id, tenant_id, resource_type, revision, status, total, created_at)
       VALUES (gen_random_uuid(), $1::uuid, $2, $3, 'queued', $4, now()) RETURNING ${COLUMNS}`,
      tenantId,
      resourceType,
      revision,
      total,
    );
    return toRecord(rows[0]!);
  }

  async get(tenantId: TenantId, id: string): Promise<RecomputeRunRecord | null> {
    const rows = await this.prisma.$queryRawUnsafe<Row[]>(
      `SELECT ${COLUMNS} FROM recompute_runs WHERE tenant_id = $1::uuid AND id = $2::uuid`,
      tenantId,
      id,
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async list(tenantId: TenantId, limit: number): Promise<RecomputeRunRecord[]> {
    const rows = await this.prisma.$queryRawUnsafe<Row[]>(
      `SELECT ${COLUMNS} FROM recompute_runs WHERE tenant_id = $1::uuid ORDER BY created_at DESC, id LIMIT $2`,
      tenantId,
      limit,
    );
    return rows.map(toRecord);
  }

  async start(tenantId: TenantId, id: string): Promise<void> {
    await this.prisma.$executeRawUnsafe(
      `UPDATE recompute_runs SET status = 'running', started_at = COALESCE(started_at, now())
       WHERE tenant_id = $1::uuid AND id = $2::uuid AND status IN ('queued', 'running')`,
      tenantId,
      id,
    );
  }

  /** Records a finished batch: a restarted job continues after `cursor`. */
  async progress(
    tenantId: TenantId,
    id: string,
    p: { processed: number; changed: number; cursor: string },
  ): Promise<void> {
    await this.prisma.$executeRawUnsafe(
      `UPDATE recompute_runs SET processed = processed + $3, changed = changed + $4, cursor = $5::uuid
       WHERE tenant_id = $1::uuid AND id = $2::uuid`,
      tenantId,
      id,
      p.processed,
      p.changed,
      p.cursor,
    );
  }

  async finish(
    tenantId: TenantId,
    id: string,
    status: 'done' | 'failed' | 'superseded',
    error?: string,
  ): Promise<void> {
    await this.prisma.$executeRawUnsafe(
      `UPDATE recompute_runs SET status = $3, error = $4, finished_at = now() WHERE tenant_id = $1::uuid AND id = $2::uuid`,
      tenantId,
      id,
      status,
      error ?? null,
    );
  }
}
