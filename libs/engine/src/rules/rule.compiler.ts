import type { ResourceTypeSchemas } from '@hub/scim';
import { RuleValidationError, type RuleIssue } from '../engine.errors';
import { ancestorKeys, isTypedAttribute, parseAuthorityPath, type UnitPath } from '../paths/authority-path';
import { UnitIndex } from '../paths/unit-index';
import {
  CompiledExpression,
  DEFAULT_TRANSFORM_LIMITS,
  TransformCompileError,
  type TransformLimits,
} from '../transform/transform.sandbox';
import { isPlainObject } from '../util/canonical-json';
import { ANY_SOURCE, POLICIES, type Policy, type RuleSet, type TransformRule } from './rule.types';

export const DEFAULT_RULE_KEY = '(default)';

/** A rule ready for resolution: sources ranked, `*` expanded into a rank for every other source. */
export interface CompiledRule {
  /** Canonical path of the rule, or `(default)`. */
  readonly key: string;
  /** Position in `rules`, -1 for the default rule. */
  readonly index: number;
  readonly policy: Policy;
  /** Listed sources in order, without `*`. */
  readonly sources: readonly string[];
  readonly anySource: boolean;
}

/** 0-based rank of a source under a rule; -1 when the rule does not let it be an authority. */
export function rankOf(rule: CompiledRule, sourceId: string): number {
  const i = rule.sources.indexOf(sourceId);
  if (rule.policy === 'exclusive') return i === 0 ? 0 : -1;
  if (i >= 0) return i;
  return rule.anySource ? rule.sources.length : -1;
}

export interface CompiledTransform {
  readonly index: number;
  readonly unit: UnitPath;
  readonly expression: CompiledExpression;
  readonly mode: 'override' | 'fillMissing';
  readonly config: Readonly<Record<string, unknown>>;
}

export interface CompiledRuleSet {
  readonly resourceType: string;
  readonly schemas: ResourceTypeSchemas;
  /** Decomposition at the granularity the rules need. */
  readonly index: UnitIndex;
  readonly rules: ReadonlyMap<string, CompiledRule>;
  readonly defaultRule: CompiledRule;
  readonly transforms: readonly CompiledTransform[];
  /** The most specific rule for a unit (cached per unit). */
  ruleFor(unit: UnitPath): CompiledRule;
  /** What was compiled, for explanations and previews. */
  readonly source: RuleSet;
}

export interface ValidationResult {
  readonly errors: readonly RuleIssue[];
  /** Accepted but probably not meant (e.g. a `type` value that is not one of the schema's canonical values). */
  readonly warnings: readonly RuleIssue[];
}

export interface CompileOptions {
  /** When given, every source a rule names must be one of these. */
  readonly knownSourceIds?: Iterable<string>;
  readonly transformLimits?: TransformLimits;
}

/**
 * Checks a rule set against the resource type's schemas and the tenant's sources. Messages
 * name the exact place, e.g. `rules[2].path: unknown attribute "emails[type eq \"work\"].valu" in User`.
 */
export function validateRules(
  ruleSet: unknown,
  schemas: ResourceTypeSchemas,
  knownSourceIds?: Iterable<string>,
  transformLimits: TransformLimits = DEFAULT_TRANSFORM_LIMITS,
): ValidationResult {
  return analyse(ruleSet, schemas, { knownSourceIds, transformLimits }).result;
}

/** Validates and indexes a rule set; throws RuleValidationError with every issue when it is not usable. */
export function compileRules(
  ruleSet: RuleSet,
  schemas: ResourceTypeSchemas,
  options: CompileOptions = {},
): CompiledRuleSet {
  const { result, compiled } = analyse(ruleSet, schemas, options);
  if (result.errors.length > 0 || !compiled) throw new RuleValidationError(result.errors);
  return compiled;
}

function analyse(
  input: unknown,
  schemas: ResourceTypeSchemas,
  options: CompileOptions,
): { result: ValidationResult; compiled?: CompiledRuleSet } {
  const errors: RuleIssue[] = [];
  const warnings: RuleIssue[] = [];
  const err = (at: string, message: string) => errors.push({ at, message });
  const known = options.knownSourceIds ? new Set(options.knownSourceIds) : undefined;
  const limits = options.transformLimits ?? DEFAULT_TRANSFORM_LIMITS;

  if (!isPlainObject(input)) {
    err('ruleSet', 'must be an object with resourceType, rules and defaultRule');
    return { result: { errors, warnings } };
  }
  const ruleSet = input as unknown as RuleSet;
  if (
    typeof ruleSet.resourceType !== 'string' ||
    ruleSet.resourceType.toLowerCase() !== schemas.name.toLowerCase()
  ) {
    err(
      'resourceType',
      `must be ${JSON.stringify(schemas.name)}, got ${JSON.stringify(ruleSet.resourceType)}`,
    );
  }

  const checkSources = (
    at: string,
    policy: Policy | undefined,
    sources: unknown,
  ): CompiledRule['sources'] | undefined => {
    if (!Array.isArray(sources) || sources.length === 0) {
      err(`${at}.sources`, 'must list at least one source');
      return undefined;
    }
    const seen = new Set<string>();
    const listed: string[] = [];
    sources.forEach((s: unknown, i: number) => {
      const where = `${at}.sources[${i}]`;
      if (typeof s !== 'string' || s.length === 0) return err(where, 'must be a source id');
      if (seen.has(s)) return err(where, `${JSON.stringify(s)} is listed twice`);
      seen.add(s);
      if (s === ANY_SOURCE) {
        if (policy === 'exclusive') err(where, '"*" (any source) cannot be exclusive');
        return;
      }
      if (known && !known.has(s)) err(where, `unknown source ${JSON.stringify(s)}`);
      listed.push(s);
    });
    if (policy === 'exclusive' && sources.length !== 1) {
      err(`${at}.sources`, `exclusive takes exactly one source, got ${sources.length}`);
    }
    return listed;
  };
  const checkPolicy = (at: string, policy: unknown): Policy | undefined => {
    if (typeof policy === 'string' && (POLICIES as readonly string[]).includes(policy))
      return policy as Policy;
    err(
      `${at}.policy`,
      `unknown policy ${JSON.stringify(policy)}; expected priority, exclusive, newest or union`,
    );
    return undefined;
  };

  // Default rule.
  let defaultRule: CompiledRule | undefined;
  if (!isPlainObject(ruleSet.defaultRule)) {
    err('defaultRule', 'must be an object with policy and sources');
  } else {
    const policy = checkPolicy('defaultRule', ruleSet.defaultRule.policy);
    const listed = checkSources('defaultRule', policy, ruleSet.defaultRule.sources);
    if (policy && listed) {
      defaultRule = {
        key: DEFAULT_RULE_KEY,
        index: -1,
        policy,
        sources: listed,
        anySource: ruleSet.defaultRule.sources.includes(ANY_SOURCE),
      };
    }
  }

  // Path rules.
  const rules = new Map<string, CompiledRule>();
  const firstAt = new Map<string, number>();
  const splitAttributes = new Set<string>();
  const splitElements = new Set<string>();
  if (!Array.isArray(ruleSet.rules)) {
    err('rules', 'must be an array');
  } else {
    ruleSet.rules.forEach((rule: unknown, i: number) => {
      const at = `rules[${i}]`;
      if (!isPlainObject(rule)) return err(at, 'must be an object with path, policy and sources');
      const parsed = parseAuthorityPath(rule['path'], schemas);
      const policy = checkPolicy(at, rule['policy']);
      const listed = checkSources(at, policy, rule['sources']);
      if (!parsed.ok) return err(`${at}.path`, parsed.message);
      const target = parsed.target;
      const key = target.kind === 'unit' ? target.unit.key : target.key;
      const earlier = firstAt.get(key);
      if (earlier !== undefined)
        return err(`${at}.path`, `${JSON.stringify(key)} already has a rule (rules[${earlier}])`);
      firstAt.set(key, i);
      if (target.kind === 'unit') {
        const unit = target.unit;
        if (policy === 'union' && !(unit.attribute.multiValued && !unit.subAttribute)) {
          err(
            `${at}.policy`,
            `union merges multi-valued attributes; ${JSON.stringify(key)} holds a single value`,
          );
        }
        if (unit.elementType !== undefined && isTypedAttribute(unit.attribute) && unit.elementType !== null) {
          const typeSub = unit.attribute.subAttributes.find((s) => s.name === 'type');
          const canonical = typeSub && typeSub.type === 'string' ? typeSub.canonicalValues : undefined;
          if (canonical && !canonical.includes(unit.elementType)) {
            warnings.push({
              at: `${at}.path`,
              message: `type ${JSON.stringify(unit.elementType)} is not one of ${canonical.map((v) => JSON.stringify(v)).join(', ')}`,
            });
          }
        }
        if (unit.subAttribute && unit.elementType !== undefined) {
          splitElements.add(ancestorKeys(unit)[1]!);
        } else if (unit.subAttribute) {
          splitAttributes.add(ancestorKeys(unit)[1]!);
        }
      }
      if (policy && listed) {
        rules.set(key, {
          key,
          index: i,
          policy,
          sources: listed,
          anySource: (rule['sources'] as unknown[]).includes(ANY_SOURCE),
        });
      }
    });
  }

  // Transforms.
  const transforms: CompiledTransform[] = [];
  if (ruleSet.transforms !== undefined && !Array.isArray(ruleSet.transforms)) {
    err('transforms', 'must be an array');
  } else {
    (ruleSet.transforms ?? []).forEach((t: unknown, i: number) => {
      const at = `transforms[${i}]`;
      if (!isPlainObject(t)) return err(at, 'must be an object with path and expression');
      const parsed = parseAuthorityPath(t['path'], schemas);
      if (!parsed.ok) err(`${at}.path`, parsed.message);
      else if (parsed.target.kind !== 'unit') err(`${at}.path`, 'must name an attribute, not a schema');
      const mode = t['mode'] ?? 'override';
      if (mode !== 'override' && mode !== 'fillMissing')
        err(`${at}.mode`, 'must be "override" or "fillMissing"');
      const config = t['config'] ?? {};
      if (!isPlainObject(config)) err(`${at}.config`, 'must be an object');
      else {
        const size = JSON.stringify(config)?.length ?? 0;
        if (size > limits.maxInputBytes)
          err(`${at}.config`, `is larger than ${limits.maxInputBytes} bytes of JSON`);
      }
      let expression: CompiledExpression | undefined;
      try {
        expression = new CompiledExpression(t['expression'] as string, limits);
      } catch (e) {
        if (!(e instanceof TransformCompileError)) throw e;
        err(`${at}.expression`, e.message);
      }
      if (expression && parsed.ok && parsed.target.kind === 'unit' && isPlainObject(config)) {
        transforms.push({
          index: i,
          unit: parsed.target.unit,
          expression,
          mode: mode as TransformRule['mode'] & string,
          config: JSON.parse(JSON.stringify(config)) as Record<string, unknown>,
        });
      }
    });
  }

  const result = { errors, warnings };
  if (errors.length > 0 || !defaultRule) return { result };
  const index = new UnitIndex(schemas, { attributes: splitAttributes, elements: splitElements });
  const resolvedDefault = defaultRule;
  const cache = new Map<string, CompiledRule>();
  const compiled: CompiledRuleSet = {
    resourceType: schemas.name,
    schemas,
    index,
    rules,
    defaultRule: resolvedDefault,
    transforms,
    source: ruleSet,
    ruleFor(unit: UnitPath): CompiledRule {
      let rule = cache.get(unit.key);
      if (!rule) {
        rule = resolvedDefault;
        for (const key of ancestorKeys(unit)) {
          const r = rules.get(key);
          if (r) {
            rule = r;
            break;
          }
        }
        cache.set(unit.key, rule);
      }
      return rule;
    },
  };
  return { result, compiled };
}
