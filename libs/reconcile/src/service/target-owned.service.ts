import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { AggregationService, EngineConfigService, type AssertionContext } from '@hub/aggregation';
import { EngineStore, ReconcileStoreRepository, type TenantId } from '@hub/persistence';
import { PushStepService, type PushedObject } from '@hub/push';
import type { ResourceTypeSchemas } from '@hub/scim';
import type { OwnedUnit } from '../compare';
import { extractOwned, ownedAgree, ownedUnits } from '../owned';

/** The units a target owns for one resource type, and the source that asserts them. */
export interface OwnedContext {
  readonly sourceId: string;
  readonly units: readonly OwnedUnit[];
  readonly schemas: ResourceTypeSchemas;
}

const TTL_MS = 5_000;

/**
 * Target-owned attributes (draft §4.2.6, ADR 0702): a target named as a source in the authority
 * rules (through a `sources` row of kind `target` whose `config.targetId` is the target) owns
 * those units. What it holds for them is read after each push answer and during reconciliation,
 * and enters the engine as that source's contribution to the golden record (source key = the hub
 * id, externalId = the remote id); the change then reaches the other targets through the outbox.
 */
@Injectable()
export class TargetOwnedService implements OnModuleInit {
  private readonly logger = new Logger(TargetOwnedService.name);
  private readonly cache = new Map<string, { at: number; value: Promise<OwnedContext | null> }>();

  constructor(
    private readonly store: ReconcileStoreRepository,
    private readonly engine: EngineStore,
    private readonly aggregation: AggregationService,
    private readonly configs: EngineConfigService,
    private readonly step: PushStepService,
  ) {}

  onModuleInit(): void {
    this.step.afterPush = (pushed) => this.afterPush(pushed);
  }

  /** The owned units of (target, type), cached a few seconds; null when the target owns nothing. */
  owned(tenantId: TenantId, targetId: string, resourceType: string): Promise<OwnedContext | null> {
    const key = `${targetId}/${resourceType}`;
    const hit = this.cache.get(key);
    if (hit && Date.now() - hit.at < TTL_MS) return hit.value;
    const value = this.load(tenantId, targetId, resourceType);
    this.cache.set(key, { at: Date.now(), value });
    value.catch(() => this.cache.delete(key));
    return value;
  }

  /**
   * Asserts what the remote object says for the owned units as the target's contribution, unless
   * the golden record already agrees. Returns whether a contribution was written.
   */
  async absorb(
    tenantId: TenantId,
    targetId: string,
    resourceType: string,
    resourceId: string,
    remoteId: string,
    remote: Record<string, unknown>,
    owned: OwnedContext,
    golden?: Record<string, unknown>,
  ): Promise<boolean> {
    const attributes = extractOwned(remote, owned.units, owned.schemas);
    if (golden && ownedAgree(golden, attributes, owned.units, owned.schemas)) return false;
    const ctx: AssertionContext = {
      tenantId,
      sourceId: owned.sourceId,
      actor: { type: 'source', id: `target:${targetId}` },
      channel: 'target',
    };
    const schemas = await this.aggregation.prepare(tenantId, resourceType);
    return this.engine.transaction(async (tx) => {
      const current = await this.engine.lockGolden(tx, tenantId, resourceType, resourceId);
      if (!current || current.lifecycleState === 'deleted') return false;
      if (ownedAgree(current.attributes, attributes, owned.units, owned.schemas)) return false;
      const config = await this.aggregation.config(tenantId, resourceType, tx, schemas, current.ruleRevision);
      const previous = await this.engine.contributionByKey(
        tx,
        tenantId,
        owned.sourceId,
        resourceType,
        resourceId,
      );
      const out = await this.aggregation.assertLinked(
        tx,
        ctx,
        config,
        current,
        { resourceType, sourceKey: resourceId, externalId: remoteId, attributes },
        previous,
      );
      return out.contributionChanged;
    });
  }

  /** Whether there was anything to do: false when the target owns no attributes of the type. */
  private async afterPush(pushed: PushedObject): Promise<boolean> {
    const owned = await this.owned(pushed.tenantId, pushed.targetId, pushed.resourceType);
    if (!owned) return false;
    await this.absorb(
      pushed.tenantId,
      pushed.targetId,
      pushed.resourceType,
      pushed.resourceId,
      pushed.remoteId,
      pushed.remote,
      owned,
    );
    return true;
  }

  private async load(
    tenantId: TenantId,
    targetId: string,
    resourceType: string,
  ): Promise<OwnedContext | null> {
    const sourceId = await this.store.targetSourceId(tenantId, targetId);
    if (!sourceId) return null;
    const config = await this.configs.get(tenantId, resourceType);
    const units = ownedUnits(config.rules.source.rules, sourceId, config.schemas);
    if (!units.length) return null;
    this.logger.debug({ targetId, resourceType, units: units.length }, 'target owns attributes');
    return { sourceId, units, schemas: config.schemas };
  }
}
