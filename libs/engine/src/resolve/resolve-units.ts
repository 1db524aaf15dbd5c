import { isLive, type Contribution } from '../contribution/contribution.model';
import type { UnitPath } from '../paths/authority-path';
import type { UnitMap } from '../paths/unit-index';
import { rankOf, type CompiledRule, type CompiledRuleSet } from '../rules/rule.compiler';
import type { Policy } from '../rules/rule.types';
import { unionValues } from './union';

/** How one unit got its value: the provenance before hashing and dating. */
export interface UnitOrigin {
  readonly policy: Policy | 'transform' | 'lifecycle';
  /** Rule key (`name.givenName`, `(default)`), `transforms[i]` or `lifecycle`. */
  readonly rule: string;
  /** Source ids whose value made the golden one, highest rank first; several for union. */
  readonly sources: readonly string[];
  /** Target paths of transforms that changed the value after the sources were resolved. */
  readonly transforms?: readonly string[];
}

export interface EngineIssue {
  readonly kind: 'ignored-attribute' | 'transform-failed';
  /** The attribute concerned (a unit path for transforms). */
  readonly path: string;
  readonly sourceId?: string;
  readonly message: string;
}

export interface UnitResolution {
  readonly units: UnitMap;
  readonly origins: Map<string, UnitOrigin>;
  readonly issues: EngineIssue[];
}

/** One contribution's value for one unit. */
export interface Candidate {
  readonly contribution: Contribution;
  readonly value: unknown;
  /** 0-based rank under the unit's rule; -1 when the rule does not let the source be an authority. */
  readonly rank: number;
}

/** Sorts live contributions by source id then source key: resolution never depends on input order. */
export function orderContributions(contributions: readonly Contribution[]): Contribution[] {
  return contributions.filter(isLive).sort(compareContributions);
}

export function compareContributions(a: Contribution, b: Contribution): number {
  if (a.sourceId !== b.sourceId) return a.sourceId < b.sourceId ? -1 : 1;
  if (a.sourceKey !== b.sourceKey) return a.sourceKey < b.sourceKey ? -1 : 1;
  return 0;
}

/** The policy a rule has for a unit: `union` on a single-valued unit (only via the default rule) reads as `priority`. */
export function effectivePolicy(rule: CompiledRule, unit: UnitPath): Policy {
  if (rule.policy === 'union' && !(unit.attribute.multiValued && !unit.subAttribute)) return 'priority';
  return rule.policy;
}

/** Candidates in the order the policy ranks them (best first); unranked sources dropped. */
export function rankCandidates(policy: Policy, candidates: readonly Candidate[]): Candidate[] {
  const ranked = candidates.filter((c) => c.rank >= 0);
  // Candidates arrive ordered by source id then source key; the sort is stable, so that order breaks ties.
  if (policy === 'newest') {
    ranked.sort(
      (a, b) => b.contribution.assertedAt.getTime() - a.contribution.assertedAt.getTime() || a.rank - b.rank,
    );
  } else {
    ranked.sort((a, b) => a.rank - b.rank);
  }
  return ranked;
}

/**
 * Resolves every unit any live contribution has under the rules. Linear in the size of the
 * contributions: each is decomposed once, each unit's few candidates are ranked.
 */
export function resolveUnits(contributions: readonly Contribution[], rules: CompiledRuleSet): UnitResolution {
  const ordered = orderContributions(contributions);
  const issues: EngineIssue[] = [];
  const byUnit = new Map<
    string,
    { unit: UnitPath; values: { contribution: Contribution; value: unknown }[] }
  >();
  for (const contribution of ordered) {
    const { units, issues: found } = rules.index.decompose(contribution.attributes);
    for (const { path, message } of found) {
      issues.push({ kind: 'ignored-attribute', path, sourceId: contribution.sourceId, message });
    }
    for (const [key, uv] of units) {
      let slot = byUnit.get(key);
      if (!slot) byUnit.set(key, (slot = { unit: uv.unit, values: [] }));
      slot.values.push({ contribution, value: uv.value });
    }
  }

  const units: UnitMap = new Map();
  const origins = new Map<string, UnitOrigin>();
  for (const [key, { unit, values }] of byUnit) {
    const rule = rules.ruleFor(unit);
    const policy = effectivePolicy(rule, unit);
    const candidates = values.map((v) => ({ ...v, rank: rankOf(rule, v.contribution.sourceId) }));
    const ranked = rankCandidates(policy, candidates);
    if (ranked.length === 0) continue; // exclusive source silent, or no listed source has it: absent.
    let value: unknown;
    let sources: string[];
    if (policy === 'union') {
      value = unionValues(
        unit.attribute,
        ranked.map((c) => c.value as unknown[]),
      );
      sources = [...new Set(ranked.map((c) => c.contribution.sourceId))];
    } else {
      value = ranked[0]!.value;
      sources = [ranked[0]!.contribution.sourceId];
    }
    units.set(key, { unit, value });
    origins.set(key, { policy, rule: rule.key, sources });
  }
  return { units, origins, issues };
}
