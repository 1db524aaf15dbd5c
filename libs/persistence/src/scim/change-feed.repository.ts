import { Injectable } from '@nestjs/common';
import { PrismaService } from '../prisma.service';
import type { TenantId } from '../tenant-id';

/**
 * A window of the change feed: outbox rows written by transactions with `from <= txid < to`.
 * `to` is a horizon (see `horizon()`), so every transaction in the window has finished and the
 * window's rows never change after it is first read.
 */
export interface ChangeWindow {
  /** Inclusive lower bound, an xid8 as text ('0' = the beginning). */
  from: string;
  /** Exclusive upper bound, an xid8 as text. */
  to: string;
  /** Paging inside the window: only resources whose newest change has seq > after. */
  after: string;
}

export interface ChangedResource {
  resourceId: string;
  /** The newest outbox sequence of this resource in the window (the paging key). */
  lastSeq: string;
}

export interface ChangePage {
  changed: ChangedResource[];
  /** Changed resources in the window after `after`, this page included. */
  remaining: number;
}

/**
 * The change feed for clients that pull deltas (ADR 0701): which resources of a type changed
 * since a token, read from the outbox. Reads go by writing transaction, not by sequence: a
 * sequence number is taken at insert time, so a transaction that commits late can hold a lower
 * sequence than one already read. Only transactions older than every running one (the
 * snapshot's xmin) are read; a change is delayed until that holds, never skipped.
 */
@Injectable()
export class ChangeFeedRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** The oldest transaction still running (or the next to start): everything older has finished. */
  async horizon(): Promise<string> {
    const rows = await this.prisma.rawQuery<{ h: string }>(
      'SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS h',
      [],
    );
    return rows[0]!.h;
  }

  /** Resources of `resourceType` changed in the window, oldest newest-change first. */
  async changed(
    tenantId: TenantId,
    resourceType: string,
    window: ChangeWindow,
    limit: number,
  ): Promise<ChangePage> {
    const rows = await this.prisma.rawQuery<{ resource_id: string; last_seq: string; remaining: string }>(
      `SELECT c.resource_id, c.last_seq::text AS last_seq, count(*) OVER () AS remaining
       FROM (
         SELECT o.resource_id, max(o.seq) AS last_seq FROM outbox o
         WHERE o.tenant_id = $1::uuid AND o.resource_type = $2::text
           AND o.txid >= $3::xid8 AND o.txid < $4::xid8
         GROUP BY o.resource_id
       ) c
       WHERE c.last_seq > $5::bigint
       ORDER BY c.last_seq
       LIMIT $6::int`,
      [tenantId, resourceType, window.from, window.to, window.after, limit],
      'change_feed_page',
    );
    return {
      changed: rows.map((r) => ({ resourceId: r.resource_id, lastSeq: r.last_seq })),
      remaining: Number(rows[0]?.remaining ?? 0),
    };
  }

  /** Which of `ids` are golden records of the tenant today (the others were deleted). */
  async existing(tenantId: TenantId, ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.prisma.rawQuery<{ id: string }>(
      'SELECT id FROM resources WHERE tenant_id = $1::uuid AND id = ANY($2::uuid[])',
      [tenantId, ids],
    );
    return new Set(rows.map((r) => r.id));
  }
}
