import { Injectable } from '@nestjs/common';
import { PrismaService, type RawQuery } from '../prisma.service';
import type { TenantId } from '../tenant-id';

/**
 * A window of the change feed: outbox rows whose writing transaction is visible in snapshot `to`
 * and was not visible in snapshot `from` (PostgreSQL snapshots as text, `xmin:xmax:xip,…`).
 * Consecutive windows share their bound, so every committed change falls in exactly one window,
 * whatever order transactions commit in.
 */
export interface ChangeWindow {
  from: string;
  /** Absent at a window's start: the window ends at the snapshot of this read. */
  to?: string;
  /** Paging inside the window: only resources whose newest change has seq > after. */
  after: string;
}

export interface ChangedResource {
  resourceId: string;
  /** The newest outbox sequence of this resource in the window (the paging key). */
  lastSeq: string;
  /**
   * The resource changed again after the window (visible now, not in `to`): its current state
   * belongs to a later window, where it will be listed; listing it now would deliver it twice.
   */
  changedSince: boolean;
}

export interface ChangePage {
  /** The window's end (the read's own snapshot at a window's start). */
  to: string;
  changed: ChangedResource[];
  /** Changed resources in the window after `after`, this page included. */
  remaining: number;
}

/** The snapshot a feed starts from: nothing is visible in it. */
export const FEED_BEGINNING = '1:1:';
const SNAPSHOT = /^[0-9]{1,20}:[0-9]{1,20}:([0-9]{1,20}(,[0-9]{1,20})*)?$/;

export function isSnapshotText(text: string): boolean {
  return SNAPSHOT.test(text);
}

/**
 * The change feed for clients that pull deltas (ADR 0701): which resources of a type changed
 * between two snapshots, read from the outbox. A sequence number is taken at insert, so a
 * transaction committing late can hold a lower one than a change already read; windows are
 * therefore cut by transaction visibility (`outbox.txid`), not by sequence. A page and the states
 * it lists are read in one REPEATABLE READ snapshot, so what a page shows matches the window.
 */
@Injectable()
export class ChangeFeedRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Runs `read` with this page of the window, on the same snapshot (pass `on` to other reads). */
  async readPage<T>(
    tenantId: TenantId,
    resourceType: string,
    window: ChangeWindow,
    limit: number,
    read: (page: ChangePage, on: RawQuery) => Promise<T>,
  ): Promise<T> {
    return this.prisma.snapshotRead(async (on) => {
      const [{ now }] = (await on<{ now: string }>('SELECT pg_current_snapshot()::text AS now', [])) as [
        { now: string },
      ];
      const to = window.to ?? now;
      const rows = await on<{ resource_id: string; last_seq: string; remaining: string; since: boolean }>(
        `SELECT c.resource_id, c.last_seq::text AS last_seq, count(*) OVER () AS remaining,
           EXISTS (SELECT 1 FROM outbox n
                   WHERE n.tenant_id = $1::uuid AND n.resource_type = $2::text AND n.resource_id = c.resource_id
                     AND n.txid >= pg_snapshot_xmin($4::pg_snapshot) AND NOT pg_visible_in_snapshot(n.txid, $4::pg_snapshot)
          ) AS since
         FROM (
           SELECT o.resource_id, max(o.seq) AS last_seq FROM outbox o
           WHERE o.tenant_id = $1::uuid AND o.resource_type = $2::text
             AND o.txid >= pg_snapshot_xmin($3::pg_snapshot)
             AND pg_visible_in_snapshot(o.txid, $4::pg_snapshot)
             AND NOT pg_visible_in_snapshot(o.txid, $3::pg_snapshot)
           GROUP BY o.resource_id
         ) c
         WHERE c.last_seq > $5::bigint
         ORDER BY c.last_seq
         LIMIT $6::int`,
        [tenantId, resourceType, window.from, to, window.after, limit],
      );
      const page: ChangePage = {
        to,
        changed: rows.map((r) => ({ resourceId: r.resource_id, lastSeq: r.last_seq, changedSince: r.since })),
        remaining: Number(rows[0]?.remaining ?? 0),
      };
      return read(page, on);
    });
  }

  /** Which of `ids` are golden records of the tenant in the snapshot of `on` (the others were deleted). */
  async existing(tenantId: TenantId, ids: readonly string[], on: RawQuery): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await on<{ id: string }>(
      'SELECT id FROM resources WHERE tenant_id = $1::uuid AND id = ANY($2::uuid[])',
      [tenantId, ids],
    );
    return new Set(rows.map((r) => r.id));
  }
}
