import { ANY_SOURCE, type LifecyclePolicy, type MatchRule, type RuleSet } from '@hub/engine';

/** What a tenant that configured nothing gets (ADR 0203): it behaves as the pass-through did. */
export const DEFAULT_AUTHORITY: Omit<RuleSet, 'resourceType'> = {
  rules: [],
  // Every source may set every path; the latest non-empty assertion wins, per attribute.
  defaultRule: { policy: 'newest', sources: [ANY_SOURCE] },
  transforms: [],
};

/** Only the source's own link: no attribute matching until an admin configures it. */
export const DEFAULT_CORRELATION: readonly MatchRule[] = [{ kind: 'link' }];

/** The stored per-type configuration, as plain data (see EngineRuleSetRepository). */
export interface StoredEngineConfig {
  readonly authority: Omit<RuleSet, 'resourceType'>;
  readonly correlation: readonly MatchRule[];
  readonly lifecycle: LifecyclePolicy | null;
  readonly revision: number;
}

export function defaultEngineConfig(): StoredEngineConfig {
  return { authority: DEFAULT_AUTHORITY, correlation: DEFAULT_CORRELATION, lifecycle: null, revision: 0 };
}

/** Per resource type or `*`: may the source create identities (RC)? */
export function mayCreate(
  roles: Readonly<Record<string, { create?: boolean } | undefined>> | null | undefined,
  resourceType: string,
): boolean {
  const role = roles?.[resourceType] ?? roles?.['*'];
  return role?.create === true;
}

/** How a source's deletion of a golden record is handled. */
export type RemovalEffect =
  /** Delete the golden record now (no lifecycle policy: as the pass-through did). */
  | 'delete'
  /** Hand the removal to the lifecycle state machine (the source is a configured authority). */
  | 'lifecycle'
  /** Withdraw only this source's contribution and resolve again (deleted when none is left). */
  | 'withdraw';

export function removalEffect(policy: LifecyclePolicy | null, sourceId: string): RemovalEffect {
  if (!policy) return 'delete';
  return policy.authorities.includes(sourceId) ? 'lifecycle' : 'withdraw';
}

/** Checks a lifecycle policy an admin submits; issues name the field exactly. */
export function validateLifecyclePolicy(
  input: unknown,
  knownSourceIds: ReadonlySet<string>,
): { at: string; message: string }[] {
  if (input === null || input === undefined) return [];
  const issues: { at: string; message: string }[] = [];
  if (typeof input !== 'object' || Array.isArray(input))
    return [{ at: 'lifecycle', message: 'must be an object or null' }];
  const p = input as Record<string, unknown>;
  if (!Array.isArray(p['authorities']) || p['authorities'].length === 0)
    issues.push({ at: 'lifecycle.authorities', message: 'must list at least one source id' });
  else
    p['authorities'].forEach((s: unknown, i: number) => {
      if (typeof s !== 'string' || !knownSourceIds.has(s))
        issues.push({
          at: `lifecycle.authorities[${i}]`,
          message: `unknown source ${JSON.stringify(s)}`,
        });
    });
  if (typeof p['graceMs'] !== 'number' || !Number.isInteger(p['graceMs']) || p['graceMs'] < 0)
    issues.push({ at: 'lifecycle.graceMs', message: 'must be a non-negative integer (milliseconds)' });
  if (p['deleteDisabled'] !== undefined && typeof p['deleteDisabled'] !== 'boolean')
    issues.push({ at: 'lifecycle.deleteDisabled', message: 'must be a boolean' });
  for (const key of Object.keys(p))
    if (!['authorities', 'graceMs', 'deleteDisabled'].includes(key))
      issues.push({ at: `lifecycle.${key}`, message: 'unknown property' });
  return issues;
}
