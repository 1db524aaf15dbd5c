import { Injectable } from '@nestjs/common';
import { Coalescer } from '../coalescer';
import { PrismaService } from '../prisma.service';
import type { TenantId } from '../tenant-id';
import type { PushGoldenRecord } from './push-golden.repository';
import { insertPushLog, logRow, type NewPushLogEntry } from './push-log.repository';
import {
  LINK_COLUMNS,
  linkFromRow,
  type LinkOutcome,
  type LinkRow,
  type TargetLinkRecord,
} from './target-link.repository';

/** What a push step reads first: the link and the golden record, as of one snapshot. */
export interface PushState {
  link: TargetLinkRecord | null;
  record: PushGoldenRecord | null;
}

interface StateKey {
  tenantId: TenantId;
  targetId: string;
  resourceId: string;
}

interface Recording extends StateKey {
  outcome: LinkOutcome;
  entries: readonly NewPushLogEntry[];
}

/** Largest batch of one statement (a few hundred rows keep a statement well under a millisecond). */
const MAX_BATCH = 200;

/**
 * The push step's two hot statements, each shared by the steps running at the same moment
 * (`Coalescer`): the read of link and record, and the write of outcome and provisioning-log
 * entries. Forty-odd pushes in flight each made seven round trips to Postgres; a batch makes one
 * for all of them (ADR 0603). The statements are the single-row ones' (`TargetLinkRepository`,
 * `PushGoldenRepository`, `PushLogRepository`) over arrays.
 */
@Injectable()
export class PushStepStore {
  private readonly reads = new Coalescer<StateKey, PushState>((keys) => this.readAll(keys), {
    maxBatch: MAX_BATCH,
    maxInFlight: 2,
  });
  private readonly writes = new Coalescer<Recording, boolean>((rows) => this.recordAll(rows), {
    maxBatch: MAX_BATCH,
    maxInFlight: 2,
  });

  constructor(private readonly prisma: PrismaService) {}

  /** The link (null before the first fan-out reached it) and the record (null once purged). */
  read(tenantId: TenantId, targetId: string, resourceId: string): Promise<PushState> {
    return this.reads.run({ tenantId, targetId, resourceId });
  }

  /**
   * `TargetLinkRepository.recordOutcome` and `PushLogRepository.append` in one statement; resolves
   * to whether the link wants another push (`wantsPush`, as of this write).
   */
  record(
    tenantId: TenantId,
    targetId: string,
    resourceId: string,
    outcome: LinkOutcome,
    entries: readonly NewPushLogEntry[],
  ): Promise<boolean> {
    return this.writes.run({ tenantId, targetId, resourceId, outcome, entries });
  }

  private async readAll(keys: readonly StateKey[]): Promise<PushState[]> {
    const rows = await this.prisma.rawQuery<
      { i: string; l_found: boolean } & LinkRow & {
          r_id: string | null;
          r_resource_type: string;
          r_attributes: Record<string, unknown>;
          r_version: number;
          r_lifecycle_state: PushGoldenRecord['lifecycleState'];
        }
    >(
      // One primary-key probe per key (LATERAL … LIMIT 1): as a join the planner may hash every
      // resource of the tenant for a handful of keys.
      `SELECT k.i, l.resource_id IS NOT NULL AS l_found, ${LINK_COLUMNS.split(',')
        .map((c) => `l.${c.trim()}`)
        .join(', ')},
         r.id AS r_id, r.resource_type AS r_resource_type, r.attributes AS r_attributes,
         r.version AS r_version, r.lifecycle_state::text AS r_lifecycle_state
       FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) WITH ORDINALITY AS k(tenant_id, target_id, resource_id, i)
       LEFT JOIN LATERAL (SELECT ${LINK_COLUMNS} FROM target_links
         WHERE tenant_id = k.tenant_id AND target_id = k.target_id AND resource_id = k.resource_id LIMIT 1) l ON true
       LEFT JOIN LATERAL (SELECT id, resource_type, attributes, version, lifecycle_state FROM resources
         WHERE tenant_id = k.tenant_id AND id = k.resource_id LIMIT 1) r ON true`,
      [keys.map((k) => k.tenantId), keys.map((k) => k.targetId), keys.map((k) => k.resourceId)],
      'push_step_read',
    );
    const out: PushState[] = keys.map(() => ({ link: null, record: null }));
    for (const row of rows) {
      const i = Number(row.i) - 1;
      out[i] = {
        link: row.l_found ? linkFromRow(row) : null,
        record: row.r_id
          ? {
              id: row.r_id,
              resourceType: row.r_resource_type,
              attributes: row.r_attributes,
              version: row.r_version,
              lifecycleState: row.r_lifecycle_state,
            }
          : null,
      };
    }
    return out;
  }

  private async recordAll(rows: readonly Recording[]): Promise<boolean[]> {
    // The version is compare-and-set on the `pushed_version` the push read (`markDirty`, ADR 0602).
    const result = await this.prisma.rawQuery<{ target_id: string; resource_id: string; dirty: boolean }>(
      // Every access to target_links is by index, whatever the statistics say. As a join, the
      // planner costs the batch at jsonb_to_recordset's fixed 100 rows, so while the table has a
      // few thousand links it hashes a sequential scan of all of them, and a named statement keeps
      // that plan as the table grows: the push benchmark read 20,000 links for each 3-row batch.
      // So: one probe per row (LATERAL … LIMIT 1), then the update by primary key (= ANY).
      `WITH o AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS o(tenant_id uuid, target_id uuid, resource_id uuid,
           remote_id text, pushed_state json, pushed_hash text, pushed_stamp text, pushed_version int, pushed_version_read int,
           status text, last_error text)
       ), locked AS (
         -- Rows locked in (target, resource) order, as the fan-out's bump and levelling lock them:
         -- in another order the two deadlocked under the push benchmark. The nested loop takes the
         -- sorted rows in turn, each probe locking its link.
         SELECT l.id FROM (SELECT target_id, resource_id, tenant_id FROM o ORDER BY target_id, resource_id) k
         CROSS JOIN LATERAL (SELECT id FROM target_links
           WHERE tenant_id = k.tenant_id AND target_id = k.target_id AND resource_id = k.resource_id
           LIMIT 1 FOR UPDATE) l
       ), u AS (
         UPDATE target_links l SET remote_id = o.remote_id, pushed_state = o.pushed_state,
           pushed_hash = o.pushed_hash, pushed_stamp = o.pushed_stamp,
           pushed_version = CASE WHEN l.pushed_version IS NOT DISTINCT FROM o.pushed_version_read
             THEN o.pushed_version ELSE l.pushed_version END,
           status = o.status, last_error = o.last_error, attempts = 0, last_pushed_at = now(), updated_at = now()
         FROM o
         WHERE l.id = ANY (ARRAY(SELECT id FROM locked))
           AND l.tenant_id = o.tenant_id AND l.target_id = o.target_id AND l.resource_id = o.resource_id
         RETURNING l.target_id, l.resource_id, l.pushed_version IS DISTINCT FROM l.desired_version AS dirty
       ), logged AS (
         ${insertPushLog('$2')}
       )
       SELECT target_id, resource_id, dirty FROM u`,
      [
        JSON.stringify(
          rows.map((r) => ({
            tenant_id: r.tenantId,
            target_id: r.targetId,
            resource_id: r.resourceId,
            remote_id: r.outcome.remoteId,
            pushed_state: r.outcome.pushedState,
            pushed_hash: r.outcome.pushedHash,
            pushed_stamp: r.outcome.pushedStamp,
            pushed_version: r.outcome.pushedVersion,
            pushed_version_read: r.outcome.pushedVersionRead,
            status: r.outcome.status,
            last_error: r.outcome.lastError ?? null,
          })),
        ),
        JSON.stringify(rows.flatMap((r) => r.entries.map(logRow))),
      ],
      'push_step_record',
    );
    const dirty = new Map(result.map((r) => [`${r.target_id}|${r.resource_id}`, r.dirty]));
    return rows.map((r) => dirty.get(`${r.targetId}|${r.resourceId}`) ?? false);
  }
}
