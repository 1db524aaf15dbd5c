// Public API of @hub/engine: the aggregation engine's pure core (DESIGN §4). No I/O, no Nest,
// no Prisma: a service in the apps loads contributions and rules, calls these, and stores results.
export * from './engine.errors';

export * from './contribution/contribution.model';
export { canonicalJson, hashJson, sameJson, renderValue } from './util/canonical-json';

export {
  parseAuthorityPath,
  ancestorKeys,
  canonicalTypeKey,
  isTypedAttribute,
  hubManagedReason,
  type UnitPath,
  type PathTarget,
  type PathParseResult,
} from './paths/authority-path';
export {
  UnitIndex,
  type UnitValue,
  type UnitMap,
  type Decomposition,
  type DecompositionIssue,
  type UnitPlacement,
} from './paths/unit-index';

export * from './rules/rule.types';
export {
  compileRules,
  validateRules,
  rankOf,
  DEFAULT_RULE_KEY,
  type CompiledRule,
  type CompiledRuleSet,
  type CompiledTransform,
  type CompileOptions,
  type ValidationResult,
} from './rules/rule.compiler';

export { resolveGolden, computeGolden, type GoldenInput, type GoldenResult } from './resolve/golden';
export {
  resolveUnits,
  type EngineIssue,
  type UnitOrigin,
  type UnitResolution,
} from './resolve/resolve-units';
export { unionValues, elementKey } from './resolve/union';

export { buildProvenance, type ProvenanceEntry, type PreviousGolden } from './provenance/provenance';
export {
  explain,
  type Explanation,
  type ExplainInput,
  type AttributeExplanation,
  type SourceView,
  type SourceStanding,
} from './provenance/explain';

export * from './correlation/correlation';

export {
  CompiledExpression,
  TransformCompileError,
  DEFAULT_TRANSFORM_LIMITS,
  TRANSFORM_VARIABLES,
  prepareInput,
  type TransformLimits,
  type TransformOutcome,
} from './transform/transform.sandbox';
export { TRANSFORM_FUNCTIONS, asciiFold } from './transform/transform.functions';
export { applyTransforms } from './transform/apply-transforms';
export { TRANSFORM_EXAMPLES } from './transform/transform.examples';

export * from './lifecycle/lifecycle';

export {
  diffGolden,
  previewRuleChange,
  type AttributeChange,
  type RuleChangePreview,
  type PathImpact,
  type PreviewRecord,
} from './preview/preview';
