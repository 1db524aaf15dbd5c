import type { Contribution } from '../contribution/contribution.model';
import type { UnitPath } from '../paths/authority-path';
import type { UnitValue } from '../paths/unit-index';
import { effectivePolicy, orderContributions, rankCandidates } from '../resolve/resolve-units';
import { rankOf, type CompiledRuleSet } from '../rules/rule.compiler';
import type { Policy } from '../rules/rule.types';
import { renderValue, sameJson } from '../util/canonical-json';
import type { ProvenanceEntry } from './provenance';

export type SourceStanding =
  /** Its value is the golden one. */
  | 'winner'
  /** Merged into a union. */
  | 'merged'
  /** An authority for the path, outranked (lower priority, older assertion). */
  | 'outranked'
  /** Says something but is not an authority for the path. */
  | 'not-authoritative';

export interface SourceView {
  readonly sourceId: string;
  readonly sourceName: string;
  readonly sourceKey: string;
  readonly value: unknown;
  readonly assertedAt: Date;
  /** 1-based rank under the rule; null when the rule does not let the source set the path. */
  readonly rank: number | null;
  readonly standing: SourceStanding;
}

export interface AttributeExplanation {
  readonly path: string;
  readonly value: unknown;
  readonly policy: ProvenanceEntry['policy'];
  readonly rule: string;
  readonly since: Date;
  readonly previousValue?: unknown;
  readonly transforms?: readonly string[];
  /** Every live contribution that has a value for the path, best first. */
  readonly sources: readonly SourceView[];
  /** `name.familyName = "Smith" from HR (priority 1) since 2026-…; LDAP says "Smyth" (priority 2, lower)`. */
  readonly sentence: string;
}

export interface Explanation {
  readonly resourceId: string;
  readonly attributes: readonly AttributeExplanation[];
}

export interface ExplainInput {
  readonly resourceId: string;
  readonly resource: Readonly<Record<string, unknown>>;
  readonly provenance: readonly ProvenanceEntry[];
  readonly contributions: readonly Contribution[];
  readonly rules: CompiledRuleSet;
  /** Display names of sources by id; the id is used when absent. */
  readonly sourceNames?: Readonly<Record<string, string>>;
  /** Only these paths (unit keys); all when absent. */
  readonly paths?: readonly string[];
}

/** Why each golden attribute has its value: structured, plus one sentence per attribute. */
export function explain(input: ExplainInput): Explanation {
  const { rules } = input;
  const name = (id: string) => input.sourceNames?.[id] ?? id;
  const golden = rules.index.decompose(input.resource).units;
  const ordered = orderContributions(input.contributions);
  const views = ordered.map((c) => ({ contribution: c, units: rules.index.decompose(c.attributes).units }));
  const wanted = input.paths ? new Set(input.paths) : undefined;

  const attributes: AttributeExplanation[] = [];
  for (const entry of input.provenance) {
    if (wanted && !wanted.has(entry.path)) continue;
    const goldenValue = golden.get(entry.path);
    const unit = goldenValue?.unit ?? findUnit(views, entry.path);
    const value = goldenValue?.value;
    let sources: SourceView[] = [];
    if (unit) {
      const rule = rules.ruleFor(unit);
      const policy = effectivePolicy(rule, unit);
      const candidates = views.flatMap(({ contribution, units }) => {
        const uv = units.get(entry.path);
        return uv ? [{ contribution, value: uv.value, rank: rankOf(rule, contribution.sourceId) }] : [];
      });
      const ranked = rankCandidates(policy, candidates);
      const winners = new Set(entry.sources);
      sources = [...ranked, ...candidates.filter((c) => c.rank < 0)].map((c, i) => ({
        sourceId: c.contribution.sourceId,
        sourceName: name(c.contribution.sourceId),
        sourceKey: c.contribution.sourceKey,
        value: c.value,
        assertedAt: c.contribution.assertedAt,
        rank: c.rank >= 0 ? c.rank + 1 : null,
        standing: standing(entry.policy, c.rank, i, winners.has(c.contribution.sourceId)),
      }));
    }
    attributes.push({
      path: entry.path,
      value,
      policy: entry.policy,
      rule: entry.rule,
      since: entry.since,
      ...(entry.previousValue !== undefined ? { previousValue: entry.previousValue } : {}),
      ...(entry.transforms ? { transforms: entry.transforms } : {}),
      sources,
      sentence: sentence(entry, value, sources, name),
    });
  }
  return { resourceId: input.resourceId, attributes };
}

function findUnit(views: { units: Map<string, UnitValue> }[], path: string): UnitPath | undefined {
  for (const v of views) {
    const uv = v.units.get(path);
    if (uv) return uv.unit;
  }
  return undefined;
}

function standing(
  policy: ProvenanceEntry['policy'],
  rank: number,
  position: number,
  isWinner: boolean,
): SourceStanding {
  if (rank < 0) return 'not-authoritative';
  if (policy === 'union') return 'merged';
  if (policy === 'transform' || policy === 'lifecycle') return 'outranked';
  return position === 0 && isWinner ? 'winner' : 'outranked';
}

function rankText(policy: Policy | 'transform' | 'lifecycle', view: SourceView): string {
  if (policy === 'newest') return `asserted ${view.assertedAt.toISOString()}`;
  if (policy === 'exclusive') return 'exclusive';
  return `priority ${view.rank}`;
}

function sentence(
  entry: ProvenanceEntry,
  value: unknown,
  sources: readonly SourceView[],
  name: (id: string) => string,
): string {
  const since = entry.since.toISOString();
  const shown = value === undefined ? '(unset)' : renderValue(value);
  let head: string;
  const others: SourceView[] = [];
  if (entry.policy === 'transform') {
    head = `${entry.path} = ${shown} computed by ${entry.rule} since ${since}`;
    others.push(...sources);
  } else if (entry.policy === 'lifecycle') {
    head = `${entry.path} = ${shown} because the record is suspended (lifecycle) since ${since}`;
    others.push(...sources);
  } else if (entry.policy === 'union') {
    const merged = sources.filter((s) => s.standing === 'merged');
    head = `${entry.path} = ${shown} merged from ${merged.map((s) => `${s.sourceName} (priority ${s.rank})`).join(', ')} (union) since ${since}`;
    others.push(...sources.filter((s) => s.standing !== 'merged'));
  } else {
    const winner = sources.find((s) => s.standing === 'winner');
    const from = winner
      ? `${winner.sourceName} (${rankText(entry.policy, winner)})`
      : entry.sources.map(name).join(', ');
    const rule = entry.rule === '(default)' ? ', default rule' : '';
    head = `${entry.path} = ${shown} from ${from}${rule} since ${since}`;
    others.push(...sources.filter((s) => s !== winner));
  }
  if (entry.previousValue !== undefined) head += ` (previously ${renderValue(entry.previousValue)})`;
  if (entry.transforms && entry.transforms.length > 0)
    head += `, transformed by ${entry.transforms.join(', ')}`;
  const parts = others.map((s) => {
    const says =
      value !== undefined && sameJson(s.value, value) ? 'says the same' : `says ${renderValue(s.value)}`;
    let why: string;
    if (s.standing === 'not-authoritative') why = 'not an authority for this attribute';
    else if (entry.policy === 'newest') why = `asserted ${s.assertedAt.toISOString()}, older`;
    else if (entry.policy === 'exclusive') why = 'not the exclusive source';
    else why = `priority ${s.rank}, lower`;
    return `${s.sourceName} ${says} (${why})`;
  });
  return [head, ...parts].join('; ');
}
