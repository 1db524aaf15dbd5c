import { Injectable } from '@nestjs/common';
import { TenantSchemas } from '@hub/aggregation';
import { TargetRepository, targetSecretsBinding, type TargetRecord, type TenantId } from '@hub/persistence';
import type { ResourceTypeSchemas } from '@hub/scim';
import { ScimClient } from '@hub/scim-client';
import { targetConnection } from '../target-connection';
import { SecretBox } from '@hub/secrets';
import { effectiveCapabilities, endpointFor } from '../capabilities';
import { compileMapping, representationStamp, type CompiledMapping } from '../representation';
import { compileScope, type CompiledScope } from '../scope';
import type { StoredCapabilities, TargetResourceTypeConfig, TargetSecrets } from '../target-config';

/** A resource type's configuration at one target, compiled once. */
export interface TypeContext {
  readonly config: TargetResourceTypeConfig;
  readonly schemas: ResourceTypeSchemas;
  readonly endpoint: string;
  readonly mapping: CompiledMapping;
  readonly scope: CompiledScope;
  /** `representationStamp` of this configuration (null: a reconciliation always reads the record). */
  readonly stamp: string | null;
}

/** Everything a push needs about a target: the row, a pooled client, compiled per-type configuration. */
export interface TargetContext {
  readonly target: TargetRecord;
  readonly client: ScimClient;
  readonly capabilities: StoredCapabilities;
  type(resourceType: string): Promise<TypeContext | undefined>;
}

const TTL_MS = 2_000;

/**
 * Loads targets for pushes, cached per replica for a couple of seconds (state changes such as a
 * quarantine show up within that), with one pooled SCIM client per target configuration.
 */
@Injectable()
export class TargetContexts {
  private readonly cache = new Map<string, { at: number; context: Promise<TargetContext | null> }>();
  private readonly clients = new Map<string, { stamp: number; client: ScimClient }>();

  constructor(
    private readonly targets: TargetRepository,
    private readonly schemas: TenantSchemas,
    private readonly secretBox: SecretBox,
  ) {}

  get(tenantId: TenantId, targetId: string, fresh = false): Promise<TargetContext | null> {
    const hit = this.cache.get(targetId);
    if (!fresh && hit && Date.now() - hit.at < TTL_MS) return hit.context;
    const context = this.load(tenantId, targetId);
    this.cache.set(targetId, { at: Date.now(), context });
    context.catch(() => this.cache.delete(targetId));
    return context;
  }

  forget(targetId: string): void {
    this.cache.delete(targetId);
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.client.close().catch(() => undefined)));
    this.clients.clear();
  }

  private async load(tenantId: TenantId, targetId: string): Promise<TargetContext | null> {
    const target = await this.targets.get(tenantId, targetId);
    if (!target) return null;
    const capabilities = effectiveCapabilities(target.capabilities, target.capabilityOverrides);
    const client = this.clientFor(target);
    const types = new Map<string, Promise<TypeContext | undefined>>();
    return {
      target,
      client,
      capabilities,
      type: (resourceType: string) => {
        let t = types.get(resourceType);
        if (!t) {
          t = this.compileType(target, capabilities, resourceType);
          types.set(resourceType, t);
        }
        return t;
      },
    };
  }

  private async compileType(
    target: TargetRecord,
    capabilities: StoredCapabilities,
    resourceType: string,
  ): Promise<TypeContext | undefined> {
    const raw = target.resourceTypes[resourceType] as Partial<TargetResourceTypeConfig> | undefined;
    if (!raw || raw.enabled === false) return undefined;
    const schemas = await this.schemas.view(target.tenantId, resourceType);
    const config: TargetResourceTypeConfig = {
      enabled: true,
      matchAttribute: raw.matchAttribute ?? (resourceType === 'Group' ? 'displayName' : 'userName'),
      mapping: raw.mapping ?? { mode: 'identity' },
      deprovision: raw.deprovision ?? 'disable',
      ...(raw.endpoint ? { endpoint: raw.endpoint } : {}),
      ...(raw.scope ? { scope: raw.scope } : {}),
      ...(raw.memberBatchSize ? { memberBatchSize: raw.memberBatchSize } : {}),
    };
    const mapping = compileMapping(config.mapping);
    const scope = compileScope(config.scope, schemas);
    return {
      config,
      schemas,
      endpoint: endpointFor(resourceType, capabilities, config.endpoint),
      mapping,
      scope,
      stamp: representationStamp({ config, schemas, capabilities, mapping, scope }),
    };
  }

  private clientFor(target: TargetRecord): ScimClient {
    const stamp = target.updatedAt.getTime();
    const existing = this.clients.get(target.id);
    if (existing && existing.stamp === stamp) return existing.client;
    if (existing) void existing.client.close().catch(() => undefined);
    const secrets: TargetSecrets = target.sealedSecrets
      ? (this.secretBox.open(
          target.sealedSecrets,
          targetSecretsBinding(target.tenantId, target.id),
        ) as TargetSecrets)
      : {};
    const client = new ScimClient({
      ...targetConnection(target, secrets),
      // The pipeline retries itself: every attempt must pass the target's shared rate limit.
      retry: { maxAttempts: 1 },
      timeouts: { connectMs: 5_000, headersMs: 15_000, bodyMs: 30_000 },
      connections: Math.max(1, Math.min(64, target.concurrency)),
      userAgent: 'scim-hub-push',
    });
    this.clients.set(target.id, { stamp, client });
    return client;
  }
}
