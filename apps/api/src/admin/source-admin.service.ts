import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { CONNECTOR_KINDS, ConnectorError, createConnector, type SourceConnector } from '@hub/connectors';
import type { Principal } from '@hub/auth';
import {
  AuditRepository,
  SourceNameTakenError,
  SourceRepository,
  SyncSourceRepository,
  asTenantId,
  type SourceRecord,
  type TenantId,
} from '@hub/persistence';
import { SecretBox } from '@hub/secrets';
import { SyncRequests, SyncSettingsError, sourceSecretBinding, syncSettings } from '@hub/sync';
import type { CreateSourceDto, SourceTestResult, SourceView, UpdateSourceDto } from './source.dto';

/** Admin use cases for sources; secrets are sealed here and only their names come back. */
@Injectable()
export class SourceAdminService {
  constructor(
    private readonly sources: SourceRepository,
    private readonly audit: AuditRepository,
    private readonly secretBox: SecretBox,
    private readonly syncSources: SyncSourceRepository,
    private readonly sync: SyncRequests,
  ) {}

  async list(principal: Principal): Promise<SourceView[]> {
    const tenantId = asTenantId(principal.tenantId);
    const schedules = new Map(
      (await this.syncSources.schedules(tenantId)).map((s) => [s.sourceId, s.schedule]),
    );
    return (await this.sources.list(tenantId)).map((s) => this.toView(s, schedules.get(s.id) ?? null));
  }

  async get(principal: Principal, id: string): Promise<SourceView> {
    const tenantId = asTenantId(principal.tenantId);
    const source = await this.sources.get(tenantId, id);
    if (!source) throw new NotFoundException(`source ${id} does not exist`);
    return this.toView(source, await this.scheduleOf(tenantId, id));
  }

  async create(principal: Principal, dto: CreateSourceDto, requestId?: string): Promise<SourceView> {
    const tenantId = asTenantId(principal.tenantId);
    checkSyncSettings(dto.kind, dto.config, dto.schedule);
    const secrets = dto.secrets;
    const created = await this.sources
      .create(
        tenantId,
        {
          name: dto.name,
          kind: dto.kind,
          roles: dto.roles ?? {},
          config: dto.config ?? {},
          enabled: dto.enabled ?? true,
        },
        secrets && Object.keys(secrets).length
          ? (id) => this.secretBox.seal(secrets, bindingOf(tenantId, id))
          : undefined,
      )
      .catch(conflict);
    if (dto.schedule) await this.syncSources.setSchedule(tenantId, created.id, dto.schedule);
    await this.sync.applySchedule(tenantId, created.id);
    await this.audit.append(tenantId, {
      actorType: 'api_client',
      actorId: principal.clientId,
      action: 'source.created',
      resourceType: 'Source',
      resourceId: created.id,
      detail: {
        name: created.name,
        kind: created.kind,
        secretNames: Object.keys(secrets ?? {}),
        ...(dto.schedule ? { schedule: dto.schedule } : {}),
      },
      requestId,
    });
    return this.toView(created, dto.schedule ?? null);
  }

  async update(
    principal: Principal,
    id: string,
    dto: UpdateSourceDto,
    requestId?: string,
  ): Promise<SourceView> {
    const tenantId = asTenantId(principal.tenantId);
    const existing = await this.sources.get(tenantId, id);
    if (!existing) throw new NotFoundException(`source ${id} does not exist`);
    checkSyncSettings(existing.kind, dto.config ?? existing.config, dto.schedule);
    const sealedSecrets =
      dto.secrets === undefined
        ? undefined
        : Object.keys(dto.secrets).length
          ? this.secretBox.seal(dto.secrets, bindingOf(tenantId, id))
          : null;
    const updated = await this.sources
      .update(tenantId, id, {
        name: dto.name,
        roles: dto.roles,
        config: dto.config,
        enabled: dto.enabled,
        sealedSecrets,
      })
      .catch(conflict);
    if (!updated) throw new NotFoundException(`source ${id} does not exist`);
    if (dto.schedule !== undefined) await this.syncSources.setSchedule(tenantId, id, dto.schedule);
    // Disabling, re-enabling or a new schedule: the source's job scheduler follows.
    if (dto.schedule !== undefined || dto.enabled !== undefined) await this.sync.applySchedule(tenantId, id);
    await this.audit.append(tenantId, {
      actorType: 'api_client',
      actorId: principal.clientId,
      action: 'source.updated',
      resourceType: 'Source',
      resourceId: id,
      detail: {
        changed: Object.keys(dto).filter((k) => dto[k as keyof UpdateSourceDto] !== undefined),
        ...(dto.secrets ? { secretNames: Object.keys(dto.secrets) } : {}),
      },
      requestId,
    });
    return this.toView(updated, await this.scheduleOf(tenantId, id));
  }

  /**
   * Connects with the stored configuration and secrets and says what happened. A failure is a
   * result, not an HTTP error: `kind` says whether credentials, reachability, TLS or the
   * configuration is at fault, and the message never contains a secret.
   */
  async test(principal: Principal, id: string): Promise<SourceTestResult> {
    const tenantId = asTenantId(principal.tenantId);
    const source = await this.sources.get(tenantId, id);
    if (!source) throw new NotFoundException(`source ${id} does not exist`);
    if (!(CONNECTOR_KINDS as readonly string[]).includes(source.kind)) {
      throw new BadRequestException(
        `a source of kind ${source.kind} is pushed to, not connected to: there is nothing to test`,
      );
    }
    const secrets = source.sealedSecrets
      ? this.secretBox.open(source.sealedSecrets, bindingOf(tenantId, id))
      : {};
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    let connector: SourceConnector | undefined;
    try {
      connector = createConnector(source.kind, source.config, secrets);
      const check = await connector.testConnection();
      return { ok: true, detail: check.detail, durationMs: elapsed() };
    } catch (error) {
      if (error instanceof ConnectorError) {
        return {
          ok: false,
          kind: error.kind,
          message: error.message,
          retryable: error.retryable,
          durationMs: elapsed(),
        };
      }
      throw error;
    } finally {
      await connector?.close().catch(() => undefined);
    }
  }

  /**
   * Deletes a source that no longer feeds any golden record. One that still does is a 409: its
   * contributions would vanish with it (cascade) without the records they fed being resolved
   * again, leaving its values — and people it alone provisioned — in place. The admin disables it
   * and runs a `withdraw` run, confirms it, then deletes (ADR 0503).
   */
  async delete(principal: Principal, id: string, requestId?: string): Promise<void> {
    const tenantId = asTenantId(principal.tenantId);
    const outcome = await this.syncSources.deleteUnlessContributing(tenantId, id);
    if (!outcome.deleted) {
      if (!outcome.found) throw new NotFoundException(`source ${id} does not exist`);
      const total = Object.values(outcome.contributing).reduce((n, c) => n + c, 0);
      const byType = Object.entries(outcome.contributing)
        .map(([type, n]) => `${n} ${type}`)
        .join(', ');
      throw new ConflictException({
        code: 'source_has_contributions',
        message:
          `source ${id} still contributes to ${total} records (${byType}). Disable it, start a withdraw run ` +
          `(POST /admin/v1/sources/${id}/runs {"mode":"withdraw"}), confirm it, then delete the source.`,
        details: { contributing: outcome.contributing },
      });
    }
    await this.sync.removeScheduler(id);
    await this.audit.append(tenantId, {
      actorType: 'api_client',
      actorId: principal.clientId,
      action: 'source.deleted',
      resourceType: 'Source',
      resourceId: id,
      requestId,
    });
  }

  private async scheduleOf(tenantId: TenantId, id: string): Promise<string | null> {
    return (await this.syncSources.get(tenantId, id))?.schedule ?? null;
  }

  private toView(source: SourceRecord, schedule: string | null): SourceView {
    return {
      id: source.id,
      name: source.name,
      kind: source.kind,
      roles: source.roles,
      config: source.config,
      secretNames: source.sealedSecrets
        ? Object.keys(this.secretBox.open(source.sealedSecrets, bindingOf(source.tenantId, source.id))).sort()
        : [],
      enabled: source.enabled,
      schedule,
      createdAt: source.createdAt.toISOString(),
      updatedAt: source.updatedAt.toISOString(),
    };
  }
}

/** Secrets are bound to their tenant and source (the sync runner opens them with the same binding). */
export const bindingOf = sourceSecretBinding;

/** Sync settings in the configuration and a schedule only where there is something to pull: 400 naming the field. */
function checkSyncSettings(
  kind: string,
  config: Readonly<Record<string, unknown>> | undefined,
  schedule: string | null | undefined,
): void {
  if (schedule && !(CONNECTOR_KINDS as readonly string[]).includes(kind))
    throw new BadRequestException({
      code: 'invalid_request',
      message: `schedule: a source of kind ${kind} writes to the hub itself; there is nothing to pull`,
      details: [`schedule: a source of kind ${kind} cannot be scheduled`],
    });
  try {
    syncSettings(config ?? {});
  } catch (error) {
    if (error instanceof SyncSettingsError)
      throw new BadRequestException({
        code: 'invalid_request',
        message: error.message,
        details: [error.message],
      });
    throw error;
  }
}

function conflict(error: unknown): never {
  if (error instanceof SourceNameTakenError) throw new ConflictException(error.message);
  throw error;
}
