import { Injectable } from '@nestjs/common';
import { auditHash, type AuditEntry } from '../audit-hash';
import type { Db } from '../db';
import { PrismaService } from '../prisma.service';
import type { TenantId } from '../tenant-id';

export interface AuditRecord extends Required<Omit<AuditEntry, 'detail'>> {
  seq: string;
  at: Date;
  detail: Record<string, unknown>;
  hash: string;
}

@Injectable()
export class AuditRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Appends one entry to the tenant's hash chain. Pass the surrounding transaction so the audit
   * row commits with the change it describes; without one, a transaction of its own is used.
   */
  async append(tenantId: TenantId, entry: AuditEntry, tx?: Db): Promise<void> {
    const write = async (db: Db) => {
      // Serialises appends per tenant so every row chains to its true predecessor. The lock is its
      // own statement: the read below must take its snapshot after the lock is held.
      await db.$executeRawUnsafe(
        'SELECT pg_advisory_xact_lock(hashtextextended($1, 0))',
        `audit:${tenantId}`,
      );
      const [last] = await db.$queryRawUnsafe<Array<{ hash: string }>>(
        'SELECT hash FROM audit_events WHERE tenant_id = $1::uuid ORDER BY seq DESC LIMIT 1',
        tenantId,
      );
      const at = new Date();
      const prevHash = last?.hash ?? null;
      await db.$executeRawUnsafe(
        `INSERT INTO audit_events (tenant_id, at, actor_type, actor_id, source_id, action, resource_type,
           resource_id, detail, request_id, prev_hash, hash)
         VALUES ($1::uuid, $2::timestamptz, $3, $4, $5::uuid, $6, $7, $8, $9::jsonb, $10, $11, $12)`,
        tenantId,
        at,
        entry.actorType,
        entry.actorId ?? null,
        entry.sourceId ?? null,
        entry.action,
        entry.resourceType ?? null,
        entry.resourceId ?? null,
        JSON.stringify(entry.detail ?? {}),
        entry.requestId ?? null,
        prevHash,
        auditHash(prevHash, tenantId, at, entry),
      );
    };
    if (tx) return write(tx);
    await this.prisma.$transaction((t) => write(t));
  }

  async list(
    tenantId: TenantId,
    options: { afterSeq?: bigint; limit: number; resourceId?: string },
  ): Promise<AuditRecord[]> {
    const rows = await this.prisma.auditEvent.findMany({
      where: {
        tenantId,
        ...(options.afterSeq !== undefined ? { seq: { gt: options.afterSeq } } : {}),
        ...(options.resourceId ? { resourceId: options.resourceId } : {}),
      },
      orderBy: { seq: 'asc' },
      take: options.limit,
    });
    return rows.map((r) => ({
      seq: r.seq.toString(),
      at: r.at,
      actorType: r.actorType as AuditEntry['actorType'],
      actorId: r.actorId,
      sourceId: r.sourceId,
      action: r.action,
      resourceType: r.resourceType,
      resourceId: r.resourceId,
      detail: r.detail as Record<string, unknown>,
      requestId: r.requestId,
      hash: r.hash,
    }));
  }

  /** Recomputes the tenant's chain; returns the seq of the first broken row, or null if intact. */
  async verifyChain(tenantId: TenantId): Promise<string | null> {
    let prev: string | null = null;
    let after: bigint | undefined;
    for (;;) {
      const rows = await this.prisma.auditEvent.findMany({
        where: { tenantId, ...(after !== undefined ? { seq: { gt: after } } : {}) },
        orderBy: { seq: 'asc' },
        take: 1000,
      });
      if (rows.length === 0) return null;
      for (const r of rows) {
        const expected = auditHash(prev, tenantId, r.at, {
          actorType: r.actorType as AuditEntry['actorType'],
          actorId: r.actorId,
          sourceId: r.sourceId,
          action: r.action,
          resourceType: r.resourceType,
          resourceId: r.resourceId,
          detail: r.detail as Record<string, unknown>,
          requestId: r.requestId,
        });
        if (r.prevHash !== prev || r.hash !== expected) return r.seq.toString();
        prev = r.hash;
      }
      after = rows[rows.length - 1]!.seq;
    }
  }
}
