import { createHash } from 'node:crypto';
import { matchKeys, type CompiledMatchRule, type MatchKey } from '@hub/engine';
import type { ResourceTypeSchemas } from '@hub/scim';

/** One normalised value a golden record can be found by (a row of `engine_match_keys`). */
export interface MatchKeyRow {
  readonly matcher: string;
  readonly value: string;
}

/** Identifies a matcher by what decides equality: the path and the normalisers, in order. */
export function matcherOf(rule: CompiledMatchRule): string {
  return `${rule.unit?.key ?? 'link'}|${rule.normalise.join(',')}`;
}

/** Keys a golden record is indexed under, for every attribute rule (link rules have none). */
export function goldenMatchKeys(
  resource: Readonly<Record<string, unknown>>,
  rules: readonly CompiledMatchRule[],
  schemas: ResourceTypeSchemas,
): MatchKeyRow[] {
  const attributeRules = rules.filter((r) => r.rule.kind === 'attribute');
  if (attributeRules.length === 0) return [];
  const keys = matchKeys({ sourceId: '', sourceKey: '', attributes: resource }, attributeRules, schemas);
  const out = new Map<string, MatchKeyRow>();
  keys.forEach((key, i) => {
    if (key.kind !== 'attribute') return;
    const matcher = matcherOf(attributeRules[i]!);
    for (const value of key.values) out.set(`${matcher}\u0000${value}`, { matcher, value });
  });
  return [...out.values()].sort((a, b) =>
    a.matcher === b.matcher ? (a.value < b.value ? -1 : 1) : a.matcher < b.matcher ? -1 : 1,
  );
}

/** Per key of `matchKeys` (same order): the matcher to look its values up under. */
export function lookupsOf(
  keys: readonly MatchKey[],
  rules: readonly CompiledMatchRule[],
): ({ matcher: string; values: readonly string[] } | null)[] {
  const byIndex = new Map(rules.map((r) => [r.index, r]));
  return keys.map((k) =>
    k.kind === 'attribute' ? { matcher: matcherOf(byIndex.get(k.rule)!), values: k.values } : null,
  );
}

/**
 * 64-bit advisory lock keys (as decimal strings for `pg_advisory_xact_lock(bigint)`) for the
 * values a contribution is correlated on, sorted so two writers always lock in the same order.
 */
export function correlationLockKeys(
  tenantId: string,
  resourceType: string,
  lookups: readonly ({ matcher: string; values: readonly string[] } | null)[],
): string[] {
  const keys = new Set<string>();
  for (const l of lookups) {
    if (!l) continue;
    for (const v of l.values)
      keys.add(lockKey(`${tenantId}\u0000${resourceType}\u0000${l.matcher}\u0000${v}`));
  }
  return [...keys].sort();
}

export function lockKey(text: string): string {
  return createHash('sha256').update(text).digest().readBigInt64BE(0).toString();
}
