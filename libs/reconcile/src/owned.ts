import { canonicalTypeKey, parseAuthorityPath, type AuthorityRule } from '@hub/engine';
import type { ResourceTypeSchemas } from '@hub/scim';
import { asObject, getCi, isEmpty, normaliseValue, type OwnedUnit } from './compare';

/**
 * The units a target owns: authority rules that name the target's source (a `sources` row of kind
 * `target` whose `config.targetId` is the target) explicitly. `*` does not make a target an
 * authority: it must be named. A rule naming a whole extension owns each of its attributes.
 */
export function ownedUnits(
  rules: readonly AuthorityRule[],
  sourceId: string,
  schemas: ResourceTypeSchemas,
): OwnedUnit[] {
  const out: OwnedUnit[] = [];
  for (const rule of rules) {
    if (!rule.sources.includes(sourceId)) continue;
    const parsed = parseAuthorityPath(rule.path, schemas);
    if (!parsed.ok) continue;
    const target = parsed.target;
    if (target.kind === 'extension') {
      for (const attr of target.schema.definition.attributes)
        out.push({ uri: target.schema.definition.id, attribute: attr.name });
      continue;
    }
    const { unit } = target;
    out.push({
      ...(unit.schema.extension ? { uri: unit.schema.definition.id } : {}),
      attribute: unit.attribute.name,
      ...(unit.elementType !== undefined ? { elementType: unit.elementType } : {}),
      ...(unit.subAttribute ? { subAttribute: unit.subAttribute.name } : {}),
    });
  }
  return out;
}

/**
 * What the remote object says for the owned units, shaped as a contribution (core attributes at
 * the top, extension attributes under their URN; typed elements as a list of those elements).
 * Units the remote object leaves empty are left out: the target stops asserting them.
 */
export function extractOwned(
  remote: Record<string, unknown>,
  units: readonly OwnedUnit[],
  schemas: ResourceTypeSchemas,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const unit of units) {
    const view = unit.uri ? schemas.findSchema(unit.uri) : schemas.core;
    if (!view) continue;
    const attr = schemas.findAttribute(view, unit.attribute);
    if (!attr) continue;
    const container = unit.uri ? asObject(getCi(remote, view.definition.id)) : remote;
    const value = getCi(container, attr.name);
    if (isEmpty(value)) continue;
    const into = unit.uri ? ((out[view.definition.id] ??= {}) as Record<string, unknown>) : out;
    if (unit.elementType !== undefined && attr.type === 'complex' && Array.isArray(value)) {
      const elements = value
        .map(asObject)
        .filter((e): e is Record<string, unknown> => !!e)
        .filter((e) => canonicalTypeKey(attr, e.type) === unit.elementType)
        .map((e) => {
          if (!unit.subAttribute) return withoutServerFields(e);
          const sub = getCi(e, unit.subAttribute);
          return { ...(e.type !== undefined ? { type: e.type } : {}), [unit.subAttribute]: sub };
        });
      if (!elements.length) continue;
      const existing = Array.isArray(into[attr.name]) ? (into[attr.name] as unknown[]) : [];
      into[attr.name] = [...existing, ...elements];
      continue;
    }
    if (unit.subAttribute && attr.type === 'complex' && !attr.multiValued) {
      const sub = getCi(value, unit.subAttribute);
      if (isEmpty(sub)) continue;
      into[attr.name] = { ...(asObject(into[attr.name]) ?? {}), [unit.subAttribute]: sub };
      continue;
    }
    into[attr.name] = value;
  }
  return out;
}

/** Whether the golden record already holds what the target says for its units (no write needed). */
export function ownedAgree(
  golden: Record<string, unknown>,
  extracted: Record<string, unknown>,
  units: readonly OwnedUnit[],
  schemas: ResourceTypeSchemas,
): boolean {
  const fromGolden = extractOwned(golden, units, schemas);
  for (const unit of units) {
    const view = unit.uri ? schemas.findSchema(unit.uri) : schemas.core;
    const attr = view && schemas.findAttribute(view, unit.attribute);
    if (!view || !attr) continue;
    const pick = (o: Record<string, unknown>) =>
      unit.uri ? getCi(asObject(getCi(o, view.definition.id)), attr.name) : getCi(o, attr.name);
    if (normaliseValue(attr, pick(fromGolden)) !== normaliseValue(attr, pick(extracted))) return false;
  }
  return true;
}

function withoutServerFields(e: Record<string, unknown>): Record<string, unknown> {
  const { $ref: _ref, display: _display, ...rest } = e;
  return rest;
}
