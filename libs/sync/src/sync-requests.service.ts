import { Injectable, Logger } from '@nestjs/common';
import { CONNECTOR_KINDS } from '@hub/connectors';
import {
  AuditRepository,
  SyncRunOpenError,
  SyncRunRepository,
  SyncSourceRepository,
  type SyncRunMode,
  type SyncRunRecord,
  type SyncRunTrigger,
  type TenantId,
} from '@hub/persistence';
import { JobName, JobQueue, QueueName, type JobPayloads } from '@hub/queue';
import { scheduledMode, syncSettings } from './sync-policy';
import { schedulerIdOf } from './sync-schedule';

/** Why a sync request was refused; the admin API turns these into 404/409/400. */
export class SyncRequestError extends Error {
  constructor(
    readonly reason:
      'source_not_found' | 'run_not_found' | 'not_syncable' | 'disabled' | 'enabled' | 'not_awaiting',
    message: string,
  ) {
    super(message);
  }
}

export { SyncRunOpenError };

/** Who asks (admin API client or the scheduler), for the audit rows. */
export interface SyncActor {
  type: 'api_client' | 'system';
  id: string;
  requestId?: string;
}

/**
 * Sync use cases around the runner (ADR 0503): open a run (manual or scheduled; one open per
 * source), confirm or discard held deletions, and keep each source's BullMQ job scheduler equal
 * to its `schedule` and `enabled` columns.
 */
@Injectable()
export class SyncRequests {
  private readonly logger = new Logger(SyncRequests.name);

  constructor(
    private readonly runs: SyncRunRepository,
    private readonly sources: SyncSourceRepository,
    private readonly jobs: JobQueue,
    private readonly audit: AuditRepository,
  ) {}

  /**
   * Opens a run and enqueues it. A run already open is a SyncRunOpenError naming it. A
   * `withdraw` run (any kind of source, inbound SCIM included) needs the source disabled first,
   * so nothing asserts again what it withdraws.
   */
  async request(
    tenantId: TenantId,
    sourceId: string,
    options: { mode?: SyncRunMode; trigger: SyncRunTrigger },
    actor: SyncActor,
  ): Promise<SyncRunRecord> {
    const source = await this.sources.get(tenantId, sourceId);
    if (!source) throw new SyncRequestError('source_not_found', `source ${sourceId} does not exist`);
    if (options.mode === 'withdraw') {
      if (source.enabled)
        throw new SyncRequestError(
          'enabled',
          `source ${source.name} is enabled: disable it before withdrawing its contributions`,
        );
    } else {
      if (!(CONNECTOR_KINDS as readonly string[]).includes(source.kind))
        throw new SyncRequestError(
          'not_syncable',
          `a source of kind ${source.kind} writes to the hub itself: there is nothing to pull`,
        );
      if (!source.enabled) throw new SyncRequestError('disabled', `source ${source.name} is disabled`);
    }
    const mode = options.mode ?? (source.cursor ? 'delta' : 'full');
    const run = await this.runs.open(tenantId, sourceId, { mode, trigger: options.trigger });
    await this.audit.append(tenantId, {
      actorType: actor.type,
      actorId: actor.id,
      sourceId,
      action: 'sync.run.requested',
      resourceType: 'SyncRun',
      resourceId: run.id,
      requestId: actor.requestId,
      detail: { mode, trigger: options.trigger },
    });
    await this.jobs.enqueue(
      JobName.SyncRun,
      { v: 1, tenantId, runId: run.id },
      { jobId: `sync-run-${run.id}` },
    );
    return run;
  }

  /**
   * A scheduler tick: opens a run in the mode the schedule calls for (delta, with a full pull at
   * least every `fullSyncIntervalHours`); returns null when the source cannot run now (disabled,
   * gone, or a run is already open — the tick is skipped, not queued behind it).
   */
  async scheduled(tenantId: TenantId, sourceId: string): Promise<SyncRunRecord | null> {
    const source = await this.sources.get(tenantId, sourceId);
    if (!source || !source.enabled || !source.schedule) {
      await this.removeScheduler(sourceId);
      return null;
    }
    let interval: number;
    try {
      interval = syncSettings(source.config).fullSyncIntervalMs;
    } catch {
      interval = 0; // the run itself fails with the setting's error
    }
    const lastFull = await this.runs.lastFullDone(tenantId, sourceId);
    const mode = scheduledMode(source.cursor !== null, lastFull, new Date(), interval);
    try {
      const run = await this.runs.open(tenantId, sourceId, { mode, trigger: 'schedule' });
      await this.audit.append(tenantId, {
        actorType: 'system',
        actorId: schedulerIdOf(sourceId),
        sourceId,
        action: 'sync.run.requested',
        resourceType: 'SyncRun',
        resourceId: run.id,
        detail: { mode, trigger: 'schedule' },
      });
      return run;
    } catch (error) {
      if (!(error instanceof SyncRunOpenError)) throw error;
      this.logger.log({ tenantId, sourceId, open: error.openRunId }, 'scheduled sync skipped: a run is open');
      return null;
    }
  }

  /** awaiting_confirmation → running, and the job that applies the held deletions. */
  async confirm(
    tenantId: TenantId,
    sourceId: string,
    runId: string,
    actor: SyncActor,
  ): Promise<SyncRunRecord> {
    await this.decide(tenantId, sourceId, runId, 'running', actor);
    await this.jobs.enqueue(
      JobName.SyncConfirm,
      { v: 1, tenantId, runId },
      { jobId: `sync-confirm-${runId}` },
    );
    return (await this.runs.get(tenantId, runId))!;
  }

  /** Closes a held run without applying its deletions (nor storing its cursor). */
  async discard(
    tenantId: TenantId,
    sourceId: string,
    runId: string,
    actor: SyncActor,
  ): Promise<SyncRunRecord> {
    await this.decide(tenantId, sourceId, runId, 'discarded', actor);
    return (await this.runs.get(tenantId, runId))!;
  }

  async list(tenantId: TenantId, sourceId: string, limit: number): Promise<SyncRunRecord[]> {
    if (!(await this.sources.get(tenantId, sourceId)))
      throw new SyncRequestError('source_not_found', `source ${sourceId} does not exist`);
    return this.runs.list(tenantId, sourceId, limit);
  }

  async get(tenantId: TenantId, sourceId: string, runId: string): Promise<SyncRunRecord> {
    const run = await this.runs.get(tenantId, runId);
    if (!run || run.sourceId !== sourceId)
      throw new SyncRequestError('run_not_found', `run ${runId} of source ${sourceId} does not exist`);
    return run;
  }

  /** Makes the source's job scheduler match its schedule: one per enabled, scheduled source. */
  async applySchedule(tenantId: TenantId, sourceId: string): Promise<void> {
    const source = await this.sources.get(tenantId, sourceId);
    if (!source || !source.enabled || !source.schedule) return this.removeScheduler(sourceId);
    await this.jobs.queue(QueueName.Sync).upsertJobScheduler(
      schedulerIdOf(sourceId),
      { pattern: source.schedule },
      {
        name: JobName.SyncScheduled,
        data: { v: 1, tenantId, sourceId } satisfies JobPayloads[typeof JobName.SyncScheduled],
      },
    );
  }

  async removeScheduler(sourceId: string): Promise<void> {
    await this.jobs.queue(QueueName.Sync).removeJobScheduler(schedulerIdOf(sourceId));
  }

  /** Every source's scheduler from the table (worker start: Redis may have lost them). */
  async applyAllSchedules(): Promise<number> {
    let n = 0;
    for (const s of await this.sources.schedules(null)) {
      if (s.enabled && s.schedule) {
        await this.applySchedule(s.tenantId, s.sourceId);
        n++;
      }
    }
    return n;
  }

  private async decide(
    tenantId: TenantId,
    sourceId: string,
    runId: string,
    to: 'running' | 'discarded',
    actor: SyncActor,
  ): Promise<void> {
    const run = await this.get(tenantId, sourceId, runId);
    if (!(await this.runs.decide(tenantId, runId, to)))
      throw new SyncRequestError(
        'not_awaiting',
        `run ${runId} is ${run.status}: only a run awaiting confirmation can be confirmed or discarded`,
      );
    await this.audit.append(tenantId, {
      actorType: actor.type,
      actorId: actor.id,
      sourceId,
      action: to === 'running' ? 'sync.run.deletions_confirmed' : 'sync.run.discarded',
      resourceType: 'SyncRun',
      resourceId: runId,
      requestId: actor.requestId,
      detail: { held: run.heldDeletions?.count ?? 0 },
    });
  }
}
