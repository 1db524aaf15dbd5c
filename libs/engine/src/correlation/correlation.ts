import { isCaseExact, type ResourceTypeSchemas } from '@hub/scim';
import type { RuleIssue } from '../engine.errors';
import { RuleValidationError } from '../engine.errors';
import { parseAuthorityPath, type UnitPath } from '../paths/authority-path';
import { UnitIndex } from '../paths/unit-index';
import { asciiFold } from '../transform/transform.functions';
import { isPlainObject } from '../util/canonical-json';

/**
 * Ordered match rules (DESIGN §4 "Correlation"), per tenant and resource type: the source's own
 * link first, then attribute equality. The caller runs the lookups; these functions only say
 * which keys to look up and what the answers mean. Never merge on a guess.
 */
export type MatchRule =
  /** The contribution is already linked to a golden record (the source's own link). */
  | { readonly kind: 'link' }
  /**
   * Equality on one simple value: `userName`, `emails[type eq "work"].value`,
   * `urn:…:enterprise:2.0:User:employeeNumber`. Values are normalised before comparison:
   * by default trimmed and, for attributes that are not case-exact, lower-cased.
   */
  | { readonly kind: 'attribute'; readonly path: string; readonly normalise?: readonly Normaliser[] };

export type Normaliser = 'trim' | 'lowercase' | 'asciiFold' | 'digits' | 'collapseSpaces';
export const NORMALISERS: readonly Normaliser[] = [
  'trim',
  'lowercase',
  'asciiFold',
  'digits',
  'collapseSpaces',
];

const NORMALISE: Readonly<Record<Normaliser, (s: string) => string>> = {
  trim: (s) => s.trim(),
  lowercase: (s) => s.toLowerCase(),
  asciiFold,
  digits: (s) => s.replace(/[^0-9]/g, ''),
  collapseSpaces: (s) => s.replace(/\s+/g, ' '),
};

export interface CompiledMatchRule {
  readonly index: number;
  readonly rule: MatchRule;
  readonly unit?: UnitPath;
  readonly normalise: readonly Normaliser[];
}

/** Checks match rules against the schema; messages as for authority rules (`matchRules[1].path: …`). */
export function compileMatchRules(rules: unknown, schemas: ResourceTypeSchemas): CompiledMatchRule[] {
  const issues: RuleIssue[] = [];
  const out: CompiledMatchRule[] = [];
  if (!Array.isArray(rules))
    throw new RuleValidationError([{ at: 'matchRules', message: 'must be an array' }]);
  rules.forEach((rule: unknown, i: number) => {
    const at = `matchRules[${i}]`;
    if (!isPlainObject(rule) || (rule['kind'] !== 'link' && rule['kind'] !== 'attribute')) {
      issues.push({ at, message: 'must be {"kind":"link"} or {"kind":"attribute","path":…}' });
      return;
    }
    if (rule['kind'] === 'link') {
      out.push({ index: i, rule: { kind: 'link' }, normalise: [] });
      return;
    }
    const parsed = parseAuthorityPath(rule['path'], schemas);
    if (!parsed.ok) return void issues.push({ at: `${at}.path`, message: parsed.message });
    const target = parsed.target;
    const unit = target.kind === 'unit' ? target.unit : undefined;
    const leaf = unit ? (unit.subAttribute ?? unit.attribute) : undefined;
    if (!unit || !leaf || leaf.type === 'complex' || leaf.type === 'boolean') {
      return void issues.push({
        at: `${at}.path`,
        message: `${JSON.stringify(rule['path'])} must name a simple value, e.g. emails[type eq "work"].value`,
      });
    }
    let normalise: Normaliser[];
    if (rule['normalise'] === undefined) {
      normalise = isCaseExact(leaf) ? ['trim'] : ['trim', 'lowercase'];
    } else if (
      !Array.isArray(rule['normalise']) ||
      !rule['normalise'].every((n: unknown) => (NORMALISERS as readonly unknown[]).includes(n))
    ) {
      return void issues.push({
        at: `${at}.normalise`,
        message: `must be a list of ${NORMALISERS.join(', ')}`,
      });
    } else {
      normalise = rule['normalise'] as Normaliser[];
    }
    out.push({ index: i, rule: rule as MatchRule, unit, normalise });
  });
  if (issues.length > 0) throw new RuleValidationError(issues);
  return out;
}

export type MatchKey =
  | {
      readonly rule: number;
      readonly kind: 'link';
      readonly sourceId: string;
      readonly sourceKey: string;
      readonly resourceId?: string;
    }
  /** `values` empty when the contribution has nothing to match on: the rule is skipped. */
  | {
      readonly rule: number;
      readonly kind: 'attribute';
      readonly path: string;
      readonly values: readonly string[];
    };

export interface MatchSubject {
  readonly sourceId: string;
  readonly sourceKey: string;
  readonly resourceId?: string | null;
  readonly attributes: Readonly<Record<string, unknown>>;
}

/**
 * The lookup keys for a contribution, one entry per rule in order. Golden records must be
 * indexed with the same normalisation (normaliseValue) for the lookups to be exact.
 */
export function matchKeys(
  subject: MatchSubject,
  rules: readonly CompiledMatchRule[],
  schemas: ResourceTypeSchemas,
): MatchKey[] {
  const index = indexFor(schemas);
  return rules.map((r): MatchKey => {
    if (r.rule.kind === 'link') {
      return {
        rule: r.index,
        kind: 'link',
        sourceId: subject.sourceId,
        sourceKey: subject.sourceKey,
        ...(subject.resourceId ? { resourceId: subject.resourceId } : {}),
      };
    }
    const values = new Set<string>();
    for (const v of index.readValues(subject.attributes, r.unit!)) {
      const key = normaliseValue(v, r.normalise);
      if (key !== undefined && key !== '') values.add(key);
    }
    return { rule: r.index, kind: 'attribute', path: r.unit!.key, values: [...values].sort() };
  });
}

/** A value as compared by a match rule: numbers as text, then the normalisers in order. */
export function normaliseValue(value: unknown, normalise: readonly Normaliser[]): string | undefined {
  let s: string;
  if (typeof value === 'string') s = value;
  else if (typeof value === 'number' && Number.isFinite(value)) s = String(value);
  else return undefined;
  for (const n of normalise) s = NORMALISE[n](s);
  return s;
}

export type CorrelationDecision =
  | { readonly outcome: 'join'; readonly resourceId: string; readonly rule: number }
  | { readonly outcome: 'create' }
  | { readonly outcome: 'park'; readonly reason: string }
  /** Several candidates: an admin decides (link to one, create new, ignore). */
  | { readonly outcome: 'case'; readonly candidates: readonly string[]; readonly rule: number };

/**
 * Decides from the lookups' answers, `candidates[i]` being the golden ids rule `i` found (the
 * link rule: the linked id, if any). The first rule that finds anything decides: exactly one
 * candidate joins, several open a case. When no rule finds one, a source that may create (RC)
 * creates; any other source's contribution is parked, kept and visible, to join later.
 */
export function correlate(
  keys: readonly MatchKey[],
  candidates: readonly (readonly string[] | undefined)[],
  options: { readonly mayCreate: boolean },
): CorrelationDecision {
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (key.kind === 'attribute' && key.values.length === 0) continue;
    const found = [...new Set(candidates[i] ?? [])].sort();
    if (found.length === 1) return { outcome: 'join', resourceId: found[0]!, rule: key.rule };
    if (found.length > 1) return { outcome: 'case', candidates: found, rule: key.rule };
  }
  return options.mayCreate
    ? { outcome: 'create' }
    : { outcome: 'park', reason: 'no golden record matches and the source may not create one' };
}

export type CaseResolution =
  | { readonly action: 'link'; readonly resourceId: string }
  | { readonly action: 'create' }
  | { readonly action: 'ignore' };

/** What an admin's answer to a correlation case does to the parked contribution. */
export function resolveCase(
  decision: CaseResolution,
):
  | { readonly outcome: 'join'; readonly resourceId: string }
  | { readonly outcome: 'create' }
  | { readonly outcome: 'ignore' } {
  switch (decision.action) {
    case 'link':
      return { outcome: 'join', resourceId: decision.resourceId };
    case 'create':
      return { outcome: 'create' };
    case 'ignore':
      return { outcome: 'ignore' };
  }
}

const indexes = new WeakMap<ResourceTypeSchemas, UnitIndex>();
function indexFor(schemas: ResourceTypeSchemas): UnitIndex {
  let index = indexes.get(schemas);
  if (!index) indexes.set(schemas, (index = new UnitIndex(schemas)));
  return index;
}
