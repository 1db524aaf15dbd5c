import { Injectable, NotFoundException } from '@nestjs/common';
import type { Principal } from '@hub/auth';
import {
  AuditRepository,
  PushLogRepository,
  TargetLinkRepository,
  TargetRepository,
  asTenantId,
  type PushLogEntry,
} from '@hub/persistence';
import { PushService, type PushNowResult } from '@hub/push';
import { JobQueue, QueueName } from '@hub/queue';
import type { ProvisioningLogQueryDto } from './provisioning.dto';

export interface TargetStatusView {
  targetId: string;
  name: string;
  enabled: boolean;
  state: string;
  stateReason: string | null;
  stateSince: string | null;
  /** When a quarantined target is probed next. */
  nextProbeAt: string | null;
  counts: { linked: number; pending: number; failed: number; held: number; outOfScope: number };
  recentErrors: ReturnType<typeof logView>[];
  /** The push queue shared by all targets (jobs are per target and resource). */
  queue: { waiting: number; delayed: number; active: number; failed: number };
}

/**
 * Provision on demand, retries, the deletion-threshold confirmation and the visibility
 * endpoints: thin admin use cases over `@hub/push`'s PushService and the push repositories.
 */
@Injectable()
export class TargetProvisioningService {
  constructor(
    private readonly push: PushService,
    private readonly targets: TargetRepository,
    private readonly links: TargetLinkRepository,
    private readonly log: PushLogRepository,
    private readonly audit: AuditRepository,
    private readonly jobs: JobQueue,
  ) {}

  async provision(
    principal: Principal,
    targetId: string,
    resourceId: string,
    requestId?: string,
  ): Promise<PushNowResult> {
    const tenantId = asTenantId(principal.tenantId);
    await this.target(principal, targetId);
    const result = await this.push.pushNow(tenantId, targetId, resourceId);
    await this.record(principal, 'target.provisioned_on_demand', targetId, requestId, {
      resourceId,
      result: result.result,
    });
    return result;
  }

  async retry(principal: Principal, targetId: string, resourceId?: string, requestId?: string) {
    const tenantId = asTenantId(principal.tenantId);
    await this.target(principal, targetId);
    if (resourceId && !(await this.links.get(tenantId, targetId, resourceId)))
      throw new NotFoundException(`resource ${resourceId} has no link to target ${targetId}`);
    const retried = await this.push.retry(tenantId, targetId, resourceId);
    await this.record(principal, 'target.retried', targetId, requestId, {
      ...(resourceId ? { resourceId } : {}),
      retried,
    });
    return { retried };
  }

  async confirmHeld(principal: Principal, targetId: string, requestId?: string) {
    await this.target(principal, targetId);
    const confirmed = await this.push.confirmHeld(asTenantId(principal.tenantId), targetId);
    await this.record(principal, 'target.held_confirmed', targetId, requestId, { confirmed });
    return { confirmed };
  }

  async discardHeld(principal: Principal, targetId: string, requestId?: string) {
    await this.target(principal, targetId);
    const discarded = await this.push.discardHeld(asTenantId(principal.tenantId), targetId);
    await this.record(principal, 'target.held_discarded', targetId, requestId, { discarded });
    return { discarded };
  }

  async status(principal: Principal, targetId: string): Promise<TargetStatusView> {
    const tenantId = asTenantId(principal.tenantId);
    const target = await this.target(principal, targetId);
    const [counts] = await this.targets.counts(tenantId, targetId);
    const errors = await this.log.recentErrors(tenantId, targetId, 10);
    const queue = await this.jobs
      .queue(QueueName.Push)
      .getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'failed');
    return {
      targetId,
      name: target.name,
      enabled: target.enabled,
      state: target.state,
      stateReason: target.stateReason,
      stateSince: target.stateSince?.toISOString() ?? null,
      nextProbeAt: target.nextProbeAt?.toISOString() ?? null,
      counts: {
        linked: counts?.linked ?? 0,
        pending: counts?.pending ?? 0,
        failed: counts?.failed ?? 0,
        held: counts?.held ?? 0,
        outOfScope: counts?.outOfScope ?? 0,
      },
      recentErrors: errors.map(logView),
      queue: {
        waiting: (queue.waiting ?? 0) + (queue.prioritized ?? 0),
        delayed: queue.delayed ?? 0,
        active: queue.active ?? 0,
        failed: queue.failed ?? 0,
      },
    };
  }

  async searchLog(principal: Principal, query: ProvisioningLogQueryDto) {
    const limit = query.limit ?? 50;
    const items = await this.log.search(asTenantId(principal.tenantId), {
      ...(query.targetId ? { targetId: query.targetId } : {}),
      ...(query.resourceId ? { resourceId: query.resourceId } : {}),
      ...(query.userName ? { label: query.userName } : {}),
      ...(query.outcome ? { outcomes: [query.outcome] } : {}),
      ...(query.before ? { before: query.before } : {}),
      limit,
    });
    return {
      items: items.map(logView),
      // A full page may have more behind it.
      next: items.length === limit ? items[items.length - 1]!.id : null,
    };
  }

  private async target(principal: Principal, targetId: string) {
    const target = await this.targets.get(asTenantId(principal.tenantId), targetId);
    if (!target) throw new NotFoundException(`target ${targetId} does not exist`);
    return target;
  }

  private async record(
    principal: Principal,
    action: string,
    targetId: string,
    requestId: string | undefined,
    detail: Record<string, unknown>,
  ): Promise<void> {
    await this.audit.append(asTenantId(principal.tenantId), {
      actorType: 'api_client',
      actorId: principal.clientId,
      action,
      resourceType: 'Target',
      resourceId: targetId,
      detail,
      requestId,
    });
  }
}

function logView(entry: PushLogEntry) {
  return {
    id: entry.id,
    at: entry.createdAt.toISOString(),
    targetId: entry.targetId,
    resourceId: entry.resourceId,
    resourceType: entry.resourceType,
    label: entry.label,
    action: entry.action,
    method: entry.method,
    path: entry.path,
    status: entry.status,
    outcome: entry.outcome,
    detail: entry.detail,
    durationMs: entry.durationMs,
  };
}
