import { Injectable } from '@nestjs/common';
import { PrismaService } from '../prisma.service';
import type { TenantId } from '../tenant-id';

export type PushAction =
  'create' | 'adopt' | 'match' | 'patch' | 'put' | 'disable' | 'delete' | 'skip' | 'members' | 'error';

export interface NewPushLogEntry {
  tenantId: TenantId;
  targetId: string;
  resourceId: string;
  resourceType: string;
  label?: string | null;
  action: PushAction;
  method?: string | null;
  path?: string | null;
  status?: number | null;
  /** ok | failed | retry | held | skipped */
  outcome: string;
  detail?: Record<string, unknown> | null;
  durationMs?: number | null;
}

export interface PushLogEntry extends Required<Omit<NewPushLogEntry, 'tenantId'>> {
  id: string;
  createdAt: Date;
}

export interface PushLogQuery {
  targetId?: string;
  resourceId?: string;
  /** Case-insensitive prefix of the label (userName / displayName at the time). */
  label?: string;
  /** Only these outcomes (e.g. failed, retry). */
  outcomes?: readonly string[];
  /** Keyset: entries older than this id. */
  before?: string;
  limit?: number;
}

/** The provisioning log: one entry per request sent to a target (and per decision not to send). */
@Injectable()
export class PushLogRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** One statement for a push step's entries (plain SQL: this runs for every push, ADR 0204). */
  async append(entries: readonly NewPushLogEntry[]): Promise<void> {
    if (!entries.length) return;
    await this.prisma.rawQuery(insertPushLog('$1'), [JSON.stringify(entries.map(logRow))], 'push_log_append');
  }

  /** Newest first; page on with `before` = the last entry's id. */
  async search(tenantId: TenantId, query: PushLogQuery = {}): Promise<PushLogEntry[]> {
    const rows = await this.prisma.pushLogEntry.findMany({
      where: {
        tenantId,
        ...(query.targetId ? { targetId: query.targetId } : {}),
        ...(query.resourceId ? { resourceId: query.resourceId } : {}),
        ...(query.label ? { label: { startsWith: query.label, mode: 'insensitive' as const } } : {}),
        ...(query.outcomes?.length ? { outcome: { in: [...query.outcomes] } } : {}),
        ...(query.before ? { id: { lt: BigInt(query.before) } } : {}),
      },
      orderBy: { id: 'desc' },
      take: Math.min(Math.max(query.limit ?? 50, 1), 500),
    });
    return rows.map((r) => ({
      id: r.id.toString(),
      targetId: r.targetId,
      resourceId: r.resourceId,
      resourceType: r.resourceType,
      label: r.label,
      action: r.action as PushAction,
      method: r.method,
      path: r.path,
      status: r.status,
      outcome: r.outcome,
      detail: (r.detail ?? null) as Record<string, unknown> | null,
      durationMs: r.durationMs,
      createdAt: r.createdAt,
    }));
  }

  /** Deprovisioning pushes sent to the target since `since` (the deletion threshold's window). */
  async countDeprovisions(tenantId: TenantId, targetId: string, since: Date): Promise<number> {
    return this.prisma.pushLogEntry.count({
      where: {
        tenantId,
        targetId,
        action: { in: ['disable', 'delete'] },
        outcome: 'ok',
        createdAt: { gte: since },
      },
    });
  }

  /** Most recent failures at a target (visibility). */
  async recentErrors(tenantId: TenantId, targetId: string, limit = 20): Promise<PushLogEntry[]> {
    return this.search(tenantId, { targetId, outcomes: ['failed', 'retry'], limit });
  }
}

/** A provisioning-log entry as `push_log`'s columns (what `PushLogRepository.append` writes). */
export function logRow(e: NewPushLogEntry) {
  return {
    tenant_id: e.tenantId,
    target_id: e.targetId,
    resource_id: e.resourceId,
    resource_type: e.resourceType,
    label: e.label ?? null,
    action: e.action,
    method: e.method ?? null,
    path: e.path ?? null,
    status: e.status ?? null,
    outcome: e.outcome,
    detail: e.detail ?? null,
    duration_ms: e.durationMs ?? null,
  };
}

/** The INSERT of entries given as a JSON array of `logRow`s in the statement parameter `param`. */
export function insertPushLog(param: string): string {
  return `INSERT INTO push_log (tenant_id, target_id, resource_id, resource_type, label, action, method, path,
         status, outcome, detail, duration_ms)
       SELECT e.tenant_id, e.target_id, e.resource_id, e.resource_type, e.label, e.action, e.method, e.path,
         e.status, e.outcome, e.detail, e.duration_ms
       FROM jsonb_to_recordset(${param}::jsonb) AS e(tenant_id uuid, target_id uuid, resource_id uuid,
         resource_type text, label text, action text, method text, path text, status int, outcome text,
         detail jsonb, duration_ms int)`;
}
