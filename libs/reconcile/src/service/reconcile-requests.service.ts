import { Injectable, Logger } from '@nestjs/common';
import { CONNECTOR_KINDS } from '@hub/connectors';
import {
  AuditRepository,
  ReconcileRunOpenError,
  ReconcileRunRepository,
  ReconcileStoreRepository,
  SyncSourceRepository,
  TargetRepository,
  type ReconcileRunRecord,
  type ReconcileSubjectKind,
  type TenantId,
} from '@hub/persistence';
import { JobName, JobQueue, QueueName, type JobPayloads } from '@hub/queue';
import { cronProblem } from '@hub/sync';
import { parseSettings, type ReconcileSettings } from '../policy';

/** Why a reconciliation request was refused; the admin API turns these into 404/409/400. */
export class ReconcileRequestError extends Error {
  constructor(
    readonly reason: 'not_found' | 'run_not_found' | 'not_provisioned' | 'disabled' | 'not_pullable',
    message: string,
  ) {
    super(message);
  }
}

export { ReconcileRunOpenError };

export interface ReconcileActor {
  type: 'api_client' | 'system';
  id: string;
  requestId?: string;
}

export interface ReconcileRequest {
  resourceType: string;
  mode?: 'full' | 'delta';
  dryRun?: boolean;
}

/** BullMQ job scheduler id of a target's resource type. */
export function reconcileSchedulerId(targetId: string, resourceType: string): string {
  return `reconcile:${targetId}:${resourceType}`;
}

const cronOk = (p: string) => cronProblem(p) === null;

/**
 * Reconciliation use cases around the runner (ADR 0702): open a run (manual or scheduled; one
 * open per subject and type), read runs, store a target type's settings and keep its BullMQ job
 * scheduler equal to them.
 */
@Injectable()
export class ReconcileRequests {
  private readonly logger = new Logger(ReconcileRequests.name);

  constructor(
    private readonly runs: ReconcileRunRepository,
    private readonly store: ReconcileStoreRepository,
    private readonly targets: TargetRepository,
    private readonly sources: SyncSourceRepository,
    private readonly jobs: JobQueue,
    private readonly audit: AuditRepository,
  ) {}

  /** Opens a run and enqueues it; ReconcileRunOpenError names the open one. */
  async request(
    tenantId: TenantId,
    subject: { kind: ReconcileSubjectKind; id: string },
    request: ReconcileRequest,
    actor: ReconcileActor,
  ): Promise<ReconcileRunRecord> {
    const resourceType = await this.check(tenantId, subject, request.resourceType);
    const run = await this.runs.open(tenantId, {
      subjectKind: subject.kind,
      subjectId: subject.id,
      resourceType,
      mode: request.mode ?? 'full',
      dryRun: request.dryRun ?? false,
      trigger: 'manual',
    });
    await this.audit.append(tenantId, {
      actorType: actor.type,
      actorId: actor.id,
      action: 'reconcile.run.requested',
      resourceType: 'ReconcileRun',
      resourceId: run.id,
      requestId: actor.requestId,
      detail: { subject, resourceType, mode: run.mode, dryRun: run.dryRun },
    });
    await this.jobs.enqueue(
      JobName.ReconcileRun,
      { v: 1, tenantId, runId: run.id },
      { jobId: `reconcile-run-${run.id}` },
    );
    return run;
  }

  /** A scheduler tick: a run in the configured mode, or null (gone, disabled, a run open). */
  async scheduled(
    tenantId: TenantId,
    targetId: string,
    resourceType: string,
  ): Promise<ReconcileRunRecord | null> {
    const target = await this.targets.get(tenantId, targetId);
    const settings = target && this.settingsOf(target.resourceTypes, resourceType);
    if (!target || !target.enabled || !settings?.schedule) {
      await this.removeScheduler(targetId, resourceType);
      return null;
    }
    try {
      return await this.runs.open(tenantId, {
        subjectKind: 'target',
        subjectId: targetId,
        resourceType,
        mode: settings.mode,
        dryRun: false,
        trigger: 'schedule',
      });
    } catch (error) {
      if (!(error instanceof ReconcileRunOpenError)) throw error;
      this.logger.log(
        { targetId, resourceType, open: error.openRunId },
        'scheduled reconciliation skipped: a run is open',
      );
      return null;
    }
  }

  async list(
    tenantId: TenantId,
    filter: { targetId?: string; sourceId?: string; limit: number },
  ): Promise<ReconcileRunRecord[]> {
    return this.runs.list(tenantId, {
      limit: filter.limit,
      ...(filter.targetId ? { subjectId: filter.targetId, subjectKind: 'target' as const } : {}),
      ...(filter.sourceId ? { subjectId: filter.sourceId, subjectKind: 'source' as const } : {}),
    });
  }

  async get(tenantId: TenantId, runId: string): Promise<ReconcileRunRecord> {
    const run = await this.runs.get(tenantId, runId);
    if (!run) throw new ReconcileRequestError('run_not_found', `reconciliation ${runId} does not exist`);
    return run;
  }

  /** The type's settings (defaults when none are stored). */
  async settings(tenantId: TenantId, targetId: string, resourceType: string): Promise<ReconcileSettings> {
    const target = await this.targets.get(tenantId, targetId);
    if (!target) throw new ReconcileRequestError('not_found', `target ${targetId} does not exist`);
    const type = this.typeName(target.resourceTypes, resourceType);
    if (!type)
      throw new ReconcileRequestError('not_provisioned', `the target does not provision ${resourceType}`);
    return parseSettings((target.resourceTypes[type] as { reconcile?: unknown }).reconcile, cronOk);
  }

  /** Validates and stores settings (ReconcileSettingsError on bad input), then the scheduler. */
  async saveSettings(
    tenantId: TenantId,
    targetId: string,
    resourceType: string,
    raw: unknown,
    actor: ReconcileActor,
  ): Promise<ReconcileSettings> {
    const target = await this.targets.get(tenantId, targetId);
    if (!target) throw new ReconcileRequestError('not_found', `target ${targetId} does not exist`);
    const type = this.typeName(target.resourceTypes, resourceType);
    if (!type)
      throw new ReconcileRequestError('not_provisioned', `the target does not provision ${resourceType}`);
    const settings = parseSettings(raw, cronOk);
    await this.store.saveSettings(tenantId, targetId, type, settings as unknown as Record<string, unknown>);
    await this.audit.append(tenantId, {
      actorType: actor.type,
      actorId: actor.id,
      action: 'reconcile.settings.updated',
      resourceType: 'Target',
      resourceId: targetId,
      requestId: actor.requestId,
      detail: { resourceType: type, settings },
    });
    await this.applySchedule(tenantId, targetId, type);
    return settings;
  }

  /** Makes the (target, type) job scheduler match its settings. */
  async applySchedule(tenantId: TenantId, targetId: string, resourceType: string): Promise<void> {
    const target = await this.targets.get(tenantId, targetId);
    let schedule: string | undefined;
    try {
      schedule = target?.enabled ? this.settingsOf(target.resourceTypes, resourceType)?.schedule : undefined;
    } catch {
      schedule = undefined;
    }
    if (!schedule) return this.removeScheduler(targetId, resourceType);
    await this.jobs.queue(QueueName.Reconcile).upsertJobScheduler(
      reconcileSchedulerId(targetId, resourceType),
      { pattern: schedule },
      {
        name: JobName.ReconcileScheduled,
        data: {
          v: 1,
          tenantId,
          targetId,
          resourceType,
        } satisfies JobPayloads[typeof JobName.ReconcileScheduled],
      },
    );
  }

  async removeScheduler(targetId: string, resourceType: string): Promise<void> {
    await this.jobs
      .queue(QueueName.Reconcile)
      .removeJobScheduler(reconcileSchedulerId(targetId, resourceType));
  }

  /** Every scheduled target type from the table (worker start: Redis may have lost them). */
  async applyAllSchedules(): Promise<number> {
    let n = 0;
    for (const s of await this.store.scheduled()) {
      await this.applySchedule(s.tenantId, s.targetId, s.resourceType);
      n++;
    }
    return n;
  }

  private async check(
    tenantId: TenantId,
    subject: { kind: ReconcileSubjectKind; id: string },
    resourceType: string,
  ): Promise<string> {
    if (subject.kind === 'target') {
      const target = await this.targets.get(tenantId, subject.id);
      if (!target) throw new ReconcileRequestError('not_found', `target ${subject.id} does not exist`);
      if (!target.enabled) throw new ReconcileRequestError('disabled', `target ${target.name} is disabled`);
      const type = this.typeName(target.resourceTypes, resourceType);
      const config = type ? (target.resourceTypes[type] as { enabled?: boolean }) : undefined;
      if (!type || config?.enabled === false)
        throw new ReconcileRequestError(
          'not_provisioned',
          `target ${target.name} does not provision ${resourceType}`,
        );
      return type;
    }
    const source = await this.sources.get(tenantId, subject.id);
    if (!source) throw new ReconcileRequestError('not_found', `source ${subject.id} does not exist`);
    if (!(CONNECTOR_KINDS as readonly string[]).includes(source.kind))
      throw new ReconcileRequestError('not_pullable', `a source of kind ${source.kind} has nothing to pull`);
    if (!source.enabled) throw new ReconcileRequestError('disabled', `source ${source.name} is disabled`);
    return resourceType;
  }

  private typeName(types: Record<string, unknown>, name: string): string | undefined {
    return Object.keys(types).find((k) => k.toLowerCase() === name.toLowerCase());
  }

  private settingsOf(types: Record<string, unknown>, name: string): ReconcileSettings | undefined {
    const type = this.typeName(types, name);
    if (!type) return undefined;
    const raw = (types[type] as { reconcile?: unknown } | undefined)?.reconcile;
    return raw === undefined ? undefined : parseSettings(raw, cronOk);
  }
}
