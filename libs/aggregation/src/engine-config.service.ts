import { Injectable } from '@nestjs/common';
import {
  RuleValidationError,
  compileMatchRules,
  compileRules,
  validateRules,
  type CompiledMatchRule,
  type CompiledRuleSet,
  type LifecyclePolicy,
  type RuleIssue,
  type RuleSet,
} from '@hub/engine';
import type { ResourceTypeSchemas } from '@hub/scim';
import { EngineRuleSetRepository, SourceRepository, type Db, type TenantId } from '@hub/persistence';
import { DEFAULT_AUTHORITY, DEFAULT_CORRELATION, validateLifecyclePolicy } from './engine-defaults';
import { TenantSchemas } from './tenant-schemas.service';

/** A tenant's engine configuration for one resource type, compiled against its schemas. */
export interface EngineConfig {
  readonly resourceType: string;
  readonly schemas: ResourceTypeSchemas;
  readonly rules: CompiledRuleSet;
  readonly match: readonly CompiledMatchRule[];
  readonly lifecycle: LifecyclePolicy | null;
  /** 0 = never configured (the defaults). */
  readonly revision: number;
  /** Whether any match rule needs golden records indexed (engine_match_keys). */
  readonly indexesKeys: boolean;
}

/** What an admin submits for a resource type; any part left out keeps its stored value. */
export interface EngineConfigInput {
  readonly authority?: unknown;
  readonly correlation?: unknown;
  readonly lifecycle?: unknown;
}

const MAX_CACHED = 2_000;

/**
 * Loads and compiles engine configurations, cached per (tenant, type, revision, schemas): a write
 * reads only the revision (one primary-key lookup) and compiles again only after a change.
 */
@Injectable()
export class EngineConfigService {
  private readonly cache = new Map<string, { schemas: ResourceTypeSchemas; config: EngineConfig }>();

  constructor(
    private readonly repository: EngineRuleSetRepository,
    private readonly sources: SourceRepository,
    private readonly schemas: TenantSchemas,
  ) {}

  /**
   * The type's schemas, read before a write's transaction starts: inside it, a write must not
   * wait for a second pooled connection (every connection may be a writer queued on a row lock).
   */
  prepare(
    tenantId: TenantId,
    resourceType: string,
    attributes?: Readonly<Record<string, unknown>>,
  ): Promise<ResourceTypeSchemas> {
    return this.schemas.view(tenantId, resourceType, attributes);
  }

  /**
   * `db`: the write's transaction. `knownRevision` when the caller read it already (the golden
   * row lock query carries it); `prepared` the schemas from prepare().
   */
  async get(
    tenantId: TenantId,
    resourceType: string,
    db?: Db,
    knownRevision?: number,
    prepared?: ResourceTypeSchemas,
  ): Promise<EngineConfig> {
    const schemas = prepared ?? (await this.schemas.view(tenantId, resourceType));
    const revision = knownRevision ?? (await this.repository.revision(tenantId, resourceType, db));
    const key = `${tenantId}/${resourceType}/${revision}`;
    const hit = this.cache.get(key);
    if (hit && hit.schemas === schemas) return hit.config;
    const stored = revision === 0 ? null : await this.repository.get(tenantId, resourceType, db);
    const config = compileConfig(
      resourceType,
      schemas,
      stored
        ? { authority: stored.authority, correlation: stored.correlation, lifecycle: stored.lifecycle }
        : {},
      stored?.revision ?? 0,
    );
    if (this.cache.size >= MAX_CACHED) this.cache.clear();
    this.cache.set(key, { schemas, config });
    return config;
  }

  /** The stored (or default) configuration as plain data, for the admin API. */
  async stored(tenantId: TenantId, resourceType: string) {
    await this.schemas.view(tenantId, resourceType);
    const stored = await this.repository.get(tenantId, resourceType);
    return {
      resourceType,
      authority: stored?.authority ?? DEFAULT_AUTHORITY,
      correlation: stored?.correlation ?? DEFAULT_CORRELATION,
      lifecycle: stored?.lifecycle ?? null,
      revision: stored?.revision ?? 0,
      updatedAt: stored?.updatedAt ?? null,
    };
  }

  /**
   * Validates a submitted configuration against the schema registry and the tenant's sources;
   * throws RuleValidationError listing every issue (`authority.rules[2].path: …`).
   */
  async validate(tenantId: TenantId, resourceType: string, input: EngineConfigInput): Promise<EngineConfig> {
    const schemas = await this.schemas.view(tenantId, resourceType);
    const current = await this.stored(tenantId, resourceType);
    const merged = {
      authority: input.authority !== undefined ? input.authority : current.authority,
      correlation: input.correlation !== undefined ? input.correlation : current.correlation,
      lifecycle: input.lifecycle !== undefined ? input.lifecycle : current.lifecycle,
    };
    const known = new Set((await this.sources.list(tenantId)).map((s) => s.id));
    const issues: RuleIssue[] = [];
    const authority = merged.authority;
    if (authority === null || typeof authority !== 'object' || Array.isArray(authority)) {
      issues.push({ at: 'authority', message: 'must be an object with rules, defaultRule and transforms' });
    } else {
      const result = validateRules({ ...(authority as object), resourceType }, schemas, known);
      issues.push(...result.errors.map((e) => ({ at: `authority.${e.at}`, message: e.message })));
    }
    try {
      compileMatchRules(merged.correlation, schemas);
    } catch (error) {
      if (!(error instanceof RuleValidationError)) throw error;
      issues.push(
        ...error.issues.map((e) => ({
          at: `correlation${e.at.replace(/^matchRules/, '')}`,
          message: e.message,
        })),
      );
    }
    issues.push(...validateLifecyclePolicy(merged.lifecycle, known));
    if (issues.length > 0) throw new RuleValidationError(issues);
    return compileConfig(resourceType, schemas, merged, current.revision);
  }

  /** Validates and stores; returns the new revision. */
  async save(tenantId: TenantId, resourceType: string, input: EngineConfigInput) {
    const config = await this.validate(tenantId, resourceType, input);
    const current = await this.stored(tenantId, resourceType);
    const saved = await this.repository.save(tenantId, resourceType, {
      authority: input.authority !== undefined ? input.authority : current.authority,
      correlation: input.correlation !== undefined ? input.correlation : current.correlation,
      lifecycle: input.lifecycle !== undefined ? input.lifecycle : current.lifecycle,
    });
    return { config, saved };
  }
}

export function compileConfig(
  resourceType: string,
  schemas: ResourceTypeSchemas,
  input: EngineConfigInput,
  revision: number,
): EngineConfig {
  const authority = (input.authority ?? DEFAULT_AUTHORITY) as Omit<RuleSet, 'resourceType'>;
  const rules = compileRules({ ...authority, resourceType }, schemas);
  const match = compileMatchRules(input.correlation ?? DEFAULT_CORRELATION, schemas);
  return {
    resourceType,
    schemas,
    rules,
    match,
    lifecycle: (input.lifecycle ?? null) as LifecyclePolicy | null,
    revision,
    indexesKeys: match.some((m) => m.rule.kind === 'attribute'),
  };
}
