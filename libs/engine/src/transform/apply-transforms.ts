import { ScimError, validateAttributeValue, type AttributeDefinition } from '@hub/scim';
import type { UnitPath } from '../paths/authority-path';
import { pruneEmpty, type UnitMap } from '../paths/unit-index';
import type { CompiledRuleSet, CompiledTransform } from '../rules/rule.compiler';
import type { EngineIssue, UnitOrigin } from '../resolve/resolve-units';
import { prepareInput, type TransformOutcome } from './transform.sandbox';

/**
 * Applies the rule set's transforms, in order, to resolved units. Each sees the record as the
 * sources and earlier transforms left it (`$`), its target's current value (`$value`), for typed
 * elements the element (`$element`), and its `config` (`$config`). A failing transform leaves its
 * attribute unset, records why, and does not stop the others.
 */
export async function applyTransforms(
  units: UnitMap,
  origins: Map<string, UnitOrigin>,
  rules: CompiledRuleSet,
): Promise<EngineIssue[]> {
  const issues: EngineIssue[] = [];
  let input: TransformOutcome | undefined;
  const record = (): TransformOutcome =>
    (input ??= prepareInput(rules.index.compose(units.values()), rules.transforms[0]?.expression.limits));
  const { index } = rules;

  for (const t of rules.transforms) {
    const label = t.unit.key;
    const failed = (reason: string) =>
      issues.push({ kind: 'transform-failed', path: label, message: reason });
    const placement = index.placement(t.unit);
    const parent =
      placement.kind === 'within' || placement.kind === 'withinElements' ? placement.parent : t.unit;
    const current = units.get(parent.key)?.value;
    const rec = record();
    if (!rec.ok) {
      failed(rec.reason);
      continue;
    }

    if (placement.kind === 'withinElements') {
      // Per element: `phoneNumbers[type eq "mobile"].value` normalises every mobile number.
      if (current === undefined) continue;
      const sub = t.unit.subAttribute!;
      const next: Record<string, unknown>[] = [];
      for (const element of current as Record<string, unknown>[]) {
        const value = element[sub.name];
        if (t.mode === 'fillMissing' && value !== undefined) {
          next.push(element);
          continue;
        }
        const r = await evaluate(t, rec.value, value, element, sub);
        const copy = { ...element };
        if (r.ok) copy[sub.name] = r.value;
        else {
          delete copy[sub.name];
          failed(r.reason);
        }
        next.push(copy);
      }
      // An element that lost its `value` means nothing any more; others keep what is left.
      const kept = next.filter((e) =>
        sub.name === 'value' ? e['value'] !== undefined : Object.keys(e).some((k) => k !== 'type'),
      );
      setUnit(units, origins, parent, kept.length > 0 ? kept : undefined, t);
      input = undefined;
      continue;
    }

    if (placement.kind === 'within') {
      const sub = t.unit.subAttribute!;
      const obj = (current ?? {}) as Record<string, unknown>;
      if (t.mode === 'fillMissing' && obj[sub.name] !== undefined) continue;
      const r = await evaluate(t, rec.value, obj[sub.name], undefined, sub);
      if (!r.ok && r.empty && obj[sub.name] === undefined) continue; // nothing from nothing
      const copy = { ...obj };
      if (r.ok) copy[sub.name] = r.value;
      else {
        delete copy[sub.name];
        failed(r.reason);
      }
      setUnit(units, origins, parent, Object.keys(copy).length > 0 ? copy : undefined, t);
      input = undefined;
      continue;
    }

    if (placement.kind === 'split') {
      // The target is split into sub-attribute units: write the whole through a decomposition.
      const subKeys = [...units.keys()].filter((k) => k.startsWith(`${t.unit.key}.`));
      const whole = rules.index.compose(subKeys.map((k) => units.get(k)!));
      const currentWhole = readUnit(whole, t.unit);
      if (t.mode === 'fillMissing' && currentWhole !== undefined) continue;
      const r = await evaluate(t, rec.value, currentWhole, undefined, t.unit.attribute);
      for (const k of subKeys) units.delete(k);
      if (!r.ok) {
        failed(r.reason);
      } else {
        const wrapped = wrapUnit(t.unit, r.value);
        for (const [k, uv] of index.decompose(wrapped).units) {
          if (k.startsWith(`${t.unit.key}.`)) setUnit(units, origins, uv.unit, uv.value, t);
        }
      }
      input = undefined;
      continue;
    }

    if (t.mode === 'fillMissing' && current !== undefined) continue;
    const r = await evaluate(t, rec.value, current, undefined, targetDefinition(t.unit));
    if (!r.ok && r.empty && current === undefined) continue; // nothing from nothing
    if (!r.ok) {
      failed(r.reason);
      setUnit(units, origins, t.unit, undefined, t);
    } else {
      setUnit(units, origins, t.unit, r.value, t);
    }
    input = undefined;
  }
  return issues;
}

async function evaluate(
  t: CompiledTransform,
  record: unknown,
  value: unknown,
  element: unknown,
  definition: AttributeDefinition,
): Promise<TransformOutcome> {
  const vars: Record<string, unknown> = { config: t.config };
  if (value !== undefined) vars['value'] = value;
  if (element !== undefined) vars['element'] = element;
  const r = await t.expression.evaluate(record, vars);
  if (!r.ok) return r;
  return conform(t.unit, definition, r.value);
}

/** The result checked against the target's definition, in canonical shape; typed elements get their type. */
function conform(unit: UnitPath, definition: AttributeDefinition, value: unknown): TransformOutcome {
  try {
    let input = value;
    if (definition.multiValued && !Array.isArray(input) && input !== null) input = [input];
    const v = pruneEmpty(validateAttributeValue(definition, input, { where: unit.key, dropReadOnly: false }));
    if (v === undefined) return { ok: false, reason: 'the expression produced an empty value', empty: true };
    if (unit.elementType !== undefined && !unit.subAttribute) {
      return {
        ok: true,
        value: (v as Record<string, unknown>[]).map((e) =>
          unit.elementType === null ? stripType(e) : { ...e, type: unit.elementType },
        ),
      };
    }
    return { ok: true, value: v };
  } catch (err) {
    if (err instanceof ScimError) return { ok: false, reason: err.message };
    throw err;
  }
}

function stripType(e: Record<string, unknown>): Record<string, unknown> {
  const copy = { ...e };
  delete copy['type'];
  return copy;
}

function targetDefinition(unit: UnitPath): AttributeDefinition {
  return unit.subAttribute ?? unit.attribute;
}

function setUnit(
  units: UnitMap,
  origins: Map<string, UnitOrigin>,
  unit: UnitPath,
  value: unknown,
  t: CompiledTransform,
): void {
  const before = origins.get(unit.key);
  if (value === undefined) {
    units.delete(unit.key);
    origins.delete(unit.key);
    return;
  }
  units.set(unit.key, { unit, value });
  if (before && before.policy !== 'transform') {
    origins.set(unit.key, { ...before, transforms: [...(before.transforms ?? []), t.unit.key] });
  } else {
    origins.set(unit.key, { policy: 'transform', rule: `transforms[${t.index}]`, sources: [] });
  }
}

/** A resource holding only `value` at the unit, for decomposition. */
function wrapUnit(unit: UnitPath, value: unknown): Record<string, unknown> {
  const inner: Record<string, unknown> = { [unit.attribute.name]: value };
  return unit.schema.extension ? { [unit.schema.definition.id]: inner } : inner;
}

function readUnit(resource: Record<string, unknown>, unit: UnitPath): unknown {
  const container = unit.schema.extension
    ? (resource[unit.schema.definition.id] as Record<string, unknown> | undefined)
    : resource;
  // Only the target's own sub-units were composed, so the attribute holds just the target.
  return container?.[unit.attribute.name];
}
