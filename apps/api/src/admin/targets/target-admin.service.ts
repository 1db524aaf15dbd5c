import {
  BadGatewayException,
  BadRequestException,
  ConflictException,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import { TenantSchemas } from '@hub/aggregation';
import type { Principal } from '@hub/auth';
import {
  AuditRepository,
  TargetNameTakenError,
  TargetRepository,
  asTenantId,
  targetSecretsBinding,
  type NewTarget,
  type TargetRecord,
  type TenantId,
} from '@hub/persistence';
import {
  DEFAULT_DELETION_THRESHOLD,
  effectiveCapabilities,
  endpointFor,
  toStoredCapabilities,
  validateDeletionThreshold,
  validateTargetAuth,
  validateTargetResourceTypes,
  type TargetConfigIssue,
  type TargetSecrets,
} from '@hub/push';
import {
  HttpClient,
  HttpRequestError,
  ScimClient,
  httpProbeTransport,
  runDialectProbe,
  type ProbeReport,
} from '@hub/scim-client';
import { SecretBox } from '@hub/secrets';
import { targetClientOptions } from './target-client-options';
import type { CapabilityOverridesDto, CreateTargetDto, TargetView, UpdateTargetDto } from './target.dto';

/** What a new target provisions when the admin says nothing: Users and Groups, as they are. */
const DEFAULT_RESOURCE_TYPES = {
  User: { enabled: true, matchAttribute: 'userName', mapping: { mode: 'identity' }, deprovision: 'disable' },
  Group: {
    enabled: true,
    matchAttribute: 'displayName',
    mapping: { mode: 'identity' },
    deprovision: 'delete',
  },
};

/**
 * Admin use cases for push targets: configuration (validated by `@hub/push` against the tenant's
 * schemas), secrets sealed here and never returned, discovery, capability overrides and the
 * dialect probe. Every change leaves an audit row.
 */
@Injectable()
export class TargetAdminService {
  constructor(
    private readonly targets: TargetRepository,
    private readonly audit: AuditRepository,
    private readonly secretBox: SecretBox,
    private readonly schemas: TenantSchemas,
  ) {}

  async list(principal: Principal): Promise<TargetView[]> {
    return (await this.targets.list(asTenantId(principal.tenantId))).map((t) => this.toView(t));
  }

  async get(principal: Principal, id: string): Promise<TargetView> {
    return this.toView(await this.load(asTenantId(principal.tenantId), id));
  }

  async create(principal: Principal, dto: CreateTargetDto, requestId?: string): Promise<TargetView> {
    const tenantId = asTenantId(principal.tenantId);
    const config = await this.validate(tenantId, {
      auth: dto.auth ?? { kind: 'none' },
      secrets: (dto.secrets ?? {}) as TargetSecrets,
      resourceTypes: dto.resourceTypes ?? DEFAULT_RESOURCE_TYPES,
      deletionThreshold: dto.deletionThreshold ?? DEFAULT_DELETION_THRESHOLD,
    });
    const secrets = dto.secrets;
    const target: NewTarget = {
      name: dto.name,
      baseUrl: dto.baseUrl,
      auth: config.auth!,
      tls: { ...(dto.tls ?? {}) },
      resourceTypes: config.resourceTypes!,
      deletionThreshold: config.deletionThreshold!,
      ...(dto.rateLimit !== undefined ? { rateLimit: dto.rateLimit } : {}),
      ...(dto.concurrency !== undefined ? { concurrency: dto.concurrency } : {}),
      enabled: dto.enabled ?? true,
    };
    const created = await this.targets
      .create(
        tenantId,
        target,
        secrets && Object.keys(secrets).length
          ? (id) => this.secretBox.seal(secrets, targetSecretsBinding(tenantId, id))
          : undefined,
      )
      .catch(conflict);
    await this.record(principal, 'target.created', created.id, requestId, {
      name: created.name,
      baseUrl: created.baseUrl,
      authKind: created.auth.kind,
      secretNames: Object.keys(secrets ?? {}).sort(),
    });
    return this.toView(created);
  }

  async update(
    principal: Principal,
    id: string,
    dto: UpdateTargetDto,
    requestId?: string,
  ): Promise<TargetView> {
    const tenantId = asTenantId(principal.tenantId);
    const current = await this.load(tenantId, id);
    // Auth is checked against the secrets it will have: the new ones, else the stored ones.
    const secretsAfter = (dto.secrets ?? this.openSecrets(current)) as TargetSecrets;
    const config = await this.validate(tenantId, {
      ...(dto.auth !== undefined || dto.secrets !== undefined
        ? { auth: dto.auth ?? current.auth, secrets: secretsAfter }
        : {}),
      ...(dto.resourceTypes !== undefined ? { resourceTypes: dto.resourceTypes } : {}),
      ...(dto.deletionThreshold !== undefined ? { deletionThreshold: dto.deletionThreshold } : {}),
    });
    const sealedSecrets =
      dto.secrets === undefined
        ? undefined
        : Object.keys(dto.secrets).length
          ? this.secretBox.seal(dto.secrets, targetSecretsBinding(tenantId, id))
          : null;
    const updated = await this.targets
      .update(tenantId, id, {
        ...(dto.name !== undefined ? { name: dto.name } : {}),
        ...(dto.baseUrl !== undefined ? { baseUrl: dto.baseUrl } : {}),
        ...(config.auth ? { auth: config.auth } : {}),
        ...(dto.tls !== undefined ? { tls: { ...dto.tls } } : {}),
        ...(config.resourceTypes
          ? { resourceTypes: keepReconcileSettings(config.resourceTypes, current.resourceTypes) }
          : {}),
        ...(config.deletionThreshold ? { deletionThreshold: config.deletionThreshold } : {}),
        ...(dto.rateLimit !== undefined ? { rateLimit: dto.rateLimit } : {}),
        ...(dto.concurrency !== undefined ? { concurrency: dto.concurrency } : {}),
        ...(dto.enabled !== undefined ? { enabled: dto.enabled } : {}),
        ...(sealedSecrets !== undefined ? { sealedSecrets } : {}),
      })
      .catch(conflict);
    if (!updated) throw new NotFoundException(`target ${id} does not exist`);
    await this.record(principal, 'target.updated', id, requestId, {
      changed: Object.keys(dto).filter((k) => dto[k as keyof UpdateTargetDto] !== undefined),
      ...(dto.secrets ? { secretNames: Object.keys(dto.secrets).sort() } : {}),
    });
    return this.toView(updated);
  }

  async setEnabled(
    principal: Principal,
    id: string,
    enabled: boolean,
    requestId?: string,
  ): Promise<TargetView> {
    const tenantId = asTenantId(principal.tenantId);
    const updated = await this.targets.update(tenantId, id, { enabled });
    if (!updated) throw new NotFoundException(`target ${id} does not exist`);
    await this.record(principal, enabled ? 'target.enabled' : 'target.disabled', id, requestId);
    return this.toView(updated);
  }

  async delete(principal: Principal, id: string, requestId?: string): Promise<void> {
    const tenantId = asTenantId(principal.tenantId);
    if (!(await this.targets.delete(tenantId, id)))
      throw new NotFoundException(`target ${id} does not exist`);
    await this.record(principal, 'target.deleted', id, requestId);
  }

  /**
   * Reads `/ServiceProviderConfig`, `/ResourceTypes` and `/Schemas` from the target and stores
   * what it says. A target that cannot be asked is a 502 whose code says why (auth, unreachable,
   * tls, protocol, remote); the message carries method, path and status, never a credential.
   */
  async discover(principal: Principal, id: string, requestId?: string): Promise<TargetView> {
    const tenantId = asTenantId(principal.tenantId);
    const target = await this.load(tenantId, id);
    const client = new ScimClient(targetClientOptions(target, this.openSecrets(target)));
    let stored: Record<string, unknown>;
    try {
      const found = await client.discover();
      stored = {
        ...toStoredCapabilities(found),
        pagination: { index: found.pagination.index, cursor: found.pagination.cursor },
        discoveredAt: new Date().toISOString(),
      };
    } catch (error) {
      throw targetFailure(error, 'discovery');
    } finally {
      await client.close().catch(() => undefined);
    }
    const updated = await this.targets.update(tenantId, id, { capabilities: stored });
    if (!updated) throw new NotFoundException(`target ${id} does not exist`);
    await this.record(principal, 'target.discovered', id, requestId, {
      patch: stored.patch,
      filter: stored.filter,
      etag: stored.etag,
      resourceTypes: Object.keys(stored.resourceTypes as object),
    });
    return this.toView(updated);
  }

  /** Replaces the overrides (`{}` clears them). */
  async setOverrides(
    principal: Principal,
    id: string,
    dto: CapabilityOverridesDto,
    requestId?: string,
  ): Promise<TargetView> {
    const tenantId = asTenantId(principal.tenantId);
    const overrides = Object.fromEntries(Object.entries({ ...dto }).filter(([, v]) => v !== undefined));
    if (overrides.resourceTypes !== undefined) {
      const problems = resourceTypeOverrideProblems(overrides.resourceTypes);
      if (problems.length) throw invalid(problems);
    }
    const updated = await this.targets.update(tenantId, id, { capabilityOverrides: overrides });
    if (!updated) throw new NotFoundException(`target ${id} does not exist`);
    await this.record(principal, 'target.capabilities_overridden', id, requestId, { overrides });
    return this.toView(updated);
  }

  /**
   * Runs the dialect probe against the target with a throwaway user and stores the report in
   * `targets.dialect`. The target's misbehaviour is the report's content, not an HTTP error.
   */
  async probe(principal: Principal, id: string, requestId?: string): Promise<ProbeReport> {
    const tenantId = asTenantId(principal.tenantId);
    const target = await this.load(tenantId, id);
    const caps = effectiveCapabilities(target.capabilities, target.capabilityOverrides) as ReturnType<
      typeof effectiveCapabilities
    > & { pagination?: { index?: boolean; cursor?: boolean } };
    const userConfig = target.resourceTypes.User as { endpoint?: string } | undefined;
    const http = new HttpClient(targetClientOptions(target, this.openSecrets(target)));
    let report: ProbeReport;
    try {
      report = await runDialectProbe(httpProbeTransport(http), {
        endpoint: endpointFor('User', caps, userConfig?.endpoint),
        ...(target.capabilities
          ? {
              capabilities: {
                patch: caps.patch,
                etag: caps.etag,
                filter: { supported: caps.filter },
                ...(caps.pagination ? { pagination: caps.pagination } : {}),
              },
            }
          : {}),
      });
    } finally {
      await http.close().catch(() => undefined);
    }
    await this.targets.update(tenantId, id, { dialect: report as unknown as Record<string, unknown> });
    await this.record(principal, 'target.probed', id, requestId, {
      userName: report.userName,
      summary: report.summary,
      leftBehind: report.cleanup.leftBehind.length,
    });
    return report;
  }

  /** The target or a 404; for other admin services of this area. */
  async load(tenantId: TenantId, id: string): Promise<TargetRecord> {
    const target = await this.targets.get(tenantId, id);
    if (!target) throw new NotFoundException(`target ${id} does not exist`);
    return target;
  }

  private openSecrets(target: TargetRecord): Record<string, string> {
    return target.sealedSecrets
      ? (this.secretBox.open(
          target.sealedSecrets,
          targetSecretsBinding(target.tenantId, target.id),
        ) as Record<string, string>)
      : {};
  }

  /** Runs the `@hub/push` validators for the parts given; one 400 listing every issue. */
  private async validate(
    tenantId: TenantId,
    parts: {
      auth?: unknown;
      secrets?: TargetSecrets;
      resourceTypes?: unknown;
      deletionThreshold?: unknown;
    },
  ): Promise<{
    auth?: Record<string, unknown>;
    resourceTypes?: Record<string, unknown>;
    deletionThreshold?: { share: number; windowMinutes: number; minimum: number };
  }> {
    const issues: TargetConfigIssue[] = [];
    const out: Awaited<ReturnType<TargetAdminService['validate']>> = {};
    if (parts.auth !== undefined) {
      const auth = validateTargetAuth(parts.auth, parts.secrets);
      if (auth.ok) out.auth = { ...auth.value };
      else issues.push(...auth.issues);
    }
    if (parts.resourceTypes !== undefined) {
      const types = validateTargetResourceTypes(parts.resourceTypes, await this.schemas.registry(tenantId));
      if (types.ok) out.resourceTypes = { ...types.value };
      else issues.push(...types.issues);
    }
    if (parts.deletionThreshold !== undefined) {
      const threshold = validateDeletionThreshold(parts.deletionThreshold);
      if (threshold.ok) out.deletionThreshold = { ...threshold.value };
      else issues.push(...threshold.issues);
    }
    if (issues.length) throw invalid(issues.map((i) => `${i.path}: ${i.message}`));
    return out;
  }

  private async record(
    principal: Principal,
    action: string,
    targetId: string,
    requestId: string | undefined,
    detail?: Record<string, unknown>,
  ): Promise<void> {
    await this.audit.append(asTenantId(principal.tenantId), {
      actorType: 'api_client',
      actorId: principal.clientId,
      action,
      resourceType: 'Target',
      resourceId: targetId,
      ...(detail ? { detail } : {}),
      requestId,
    });
  }

  toView(target: TargetRecord): TargetView {
    return {
      id: target.id,
      name: target.name,
      baseUrl: target.baseUrl,
      auth: target.auth,
      tls: target.tls,
      secretNames: Object.keys(this.openSecrets(target)).sort(),
      resourceTypes: target.resourceTypes,
      rateLimit: target.rateLimit,
      concurrency: target.concurrency,
      deletionThreshold: target.deletionThreshold,
      enabled: target.enabled,
      state: target.state,
      stateReason: target.stateReason,
      stateSince: target.stateSince?.toISOString() ?? null,
      capabilities: target.capabilities,
      capabilityOverrides: target.capabilityOverrides,
      effectiveCapabilities: effectiveCapabilities(
        target.capabilities,
        target.capabilityOverrides,
      ) as unknown as Record<string, unknown>,
      dialect: target.dialect,
      createdAt: target.createdAt.toISOString(),
      updatedAt: target.updatedAt.toISOString(),
    };
  }
}

function invalid(details: string[]): BadRequestException {
  return new BadRequestException({ message: 'The target configuration is invalid', details });
}

function resourceTypeOverrideProblems(value: unknown): string[] {
  const problems: string[] = [];
  for (const [name, raw] of Object.entries(value as Record<string, unknown>)) {
    const t = raw as Record<string, unknown> | null;
    if (typeof t !== 'object' || t === null || typeof t.endpoint !== 'string' || !t.endpoint.startsWith('/'))
      problems.push(`resourceTypes.${name}.endpoint: must be a path starting with "/"`);
    else if (t.schema !== undefined && typeof t.schema !== 'string')
      problems.push(`resourceTypes.${name}.schema: must be a schema URN`);
    else if (t.extensions !== undefined && !Array.isArray(t.extensions))
      problems.push(`resourceTypes.${name}.extensions: must be a list of schema URNs`);
  }
  return problems;
}

/** A target that could not be asked: 502 with a code naming what failed. */
export function targetFailure(error: unknown, what: string): BadGatewayException {
  if (error instanceof HttpRequestError) {
    const why: Record<string, string> = {
      auth: 'the target refused the credentials',
      unreachable: 'the target is unreachable',
      tls: 'the TLS handshake with the target failed',
      protocol: 'the target answered something that is not SCIM',
      rateLimited: 'the target is rate limiting the hub',
      remote: 'the target answered with an error',
    };
    return new BadGatewayException({
      code: `target_${error.kind}`,
      message: `${what} failed: ${why[error.kind] ?? 'the request failed'} (${error.message})`,
      details: { kind: error.kind, ...(error.status !== undefined ? { status: error.status } : {}) },
    });
  }
  throw error;
}

function conflict(error: unknown): never {
  if (error instanceof TargetNameTakenError) throw new ConflictException(error.message);
  throw error;
}

/**
 * Reconciliation settings live beside each type's push configuration but have their own endpoint
 * (`/reconciliation-settings/:type`); replacing a type's push configuration keeps them.
 */
function keepReconcileSettings(
  next: Record<string, unknown>,
  stored: Record<string, unknown> | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [type, config] of Object.entries(next)) {
    const previous = stored?.[type] as { reconcile?: unknown } | undefined;
    out[type] =
      previous?.reconcile !== undefined ? { ...(config as object), reconcile: previous.reconcile } : config;
  }
  return out;
}
