import type { Contribution } from '../contribution/contribution.model';
import type { LifecycleRecord } from '../lifecycle/lifecycle';
import { buildProvenance, type PreviousGolden, type ProvenanceEntry } from '../provenance/provenance';
import type { CompiledRuleSet } from '../rules/rule.compiler';
import { applyTransforms } from '../transform/apply-transforms';
import { resolveUnits, type EngineIssue, type UnitResolution } from './resolve-units';

export interface GoldenInput {
  /** Every contribution joined to the record; deleted ones are ignored. Order does not matter. */
  readonly contributions: readonly Contribution[];
  readonly rules: CompiledRuleSet;
  readonly now: Date;
  /** The stored golden record and provenance, so unchanged values keep their `since`. */
  readonly previous?: PreviousGolden;
  /** A suspended or deleted record is pushed with `active=false`, whatever the sources say. */
  readonly lifecycle?: Pick<LifecycleRecord, 'state'>;
}

export interface GoldenResult {
  /** Attributes only: `schemas` plus resolved attributes; the caller adds `id`, `meta` and per-source `externalId`. */
  readonly resource: Record<string, unknown>;
  readonly provenance: ProvenanceEntry[];
  readonly issues: EngineIssue[];
}

/**
 * The golden record under the authority rules, without transforms: pure and synchronous.
 * Deterministic: shuffled contributions give the same record and provenance.
 */
export function resolveGolden(input: GoldenInput): GoldenResult {
  const resolution = resolveUnits(input.contributions, input.rules);
  applyLifecycle(resolution, input);
  return finish(resolution, input);
}

/** resolveGolden plus the rule set's transforms (asynchronous: JSONata evaluates asynchronously). */
export async function computeGolden(input: GoldenInput): Promise<GoldenResult> {
  const resolution = resolveUnits(input.contributions, input.rules);
  const issues = await applyTransforms(resolution.units, resolution.origins, input.rules);
  resolution.issues.push(...issues);
  applyLifecycle(resolution, input);
  return finish(resolution, input);
}

function applyLifecycle(resolution: UnitResolution, input: GoldenInput): void {
  const state = input.lifecycle?.state;
  if (state === undefined || state === 'active') return;
  const schemas = input.rules.schemas;
  const active = schemas.findAttribute(schemas.core, 'active');
  if (!active || active.type !== 'boolean') return;
  const unit = input.rules.index.unit(schemas.core, active);
  resolution.units.set(unit.key, { unit, value: false });
  resolution.origins.set(unit.key, { policy: 'lifecycle', rule: 'lifecycle', sources: [] });
}

function finish(resolution: UnitResolution, input: GoldenInput): GoldenResult {
  const { index } = input.rules;
  return {
    resource: index.compose(resolution.units.values()),
    provenance: buildProvenance(resolution.units, resolution.origins, index, input.previous, input.now),
    issues: resolution.issues,
  };
}
