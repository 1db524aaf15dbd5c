import type { ResourceTypeSchemas } from '@hub/scim';
import type { Contribution } from '../contribution/contribution.model';
import type { LifecycleRecord } from '../lifecycle/lifecycle';
import { UnitIndex } from '../paths/unit-index';
import { computeGolden } from '../resolve/golden';
import type { CompiledRuleSet } from '../rules/rule.compiler';
import { canonicalJson } from '../util/canonical-json';

export interface AttributeChange {
  readonly path: string;
  readonly kind: 'added' | 'removed' | 'changed';
  readonly before?: unknown;
  readonly after?: unknown;
}

const diffIndexes = new WeakMap<ResourceTypeSchemas, UnitIndex>();

/** Splits every complex singular attribute, so a diff names `name.familyName` rather than `name`. */
export function diffIndex(schemas: ResourceTypeSchemas): UnitIndex {
  let index = diffIndexes.get(schemas);
  if (!index) {
    const attributes: string[] = [];
    for (const view of [schemas.core, ...schemas.extensions]) {
      for (const attr of schemas.attributesOf(view)) {
        if (attr.type === 'complex' && !attr.multiValued) {
          attributes.push(view.extension ? `${view.definition.id}:${attr.name}` : attr.name);
        }
      }
    }
    diffIndexes.set(schemas, (index = new UnitIndex(schemas, { attributes })));
  }
  return index;
}

/** Attribute paths whose value differs between two versions of a golden record, sorted by path. */
export function diffGolden(
  before: Readonly<Record<string, unknown>> | null | undefined,
  after: Readonly<Record<string, unknown>> | null | undefined,
  schemas: ResourceTypeSchemas,
): AttributeChange[] {
  const index = diffIndex(schemas);
  const a = before ? index.decompose(before).units : new Map();
  const b = after ? index.decompose(after).units : new Map();
  const changes: AttributeChange[] = [];
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(key)?.value;
    const y = b.get(key)?.value;
    if (x === undefined) changes.push({ path: key, kind: 'added', after: y });
    else if (y === undefined) changes.push({ path: key, kind: 'removed', before: x });
    else if (canonicalJson(x) !== canonicalJson(y))
      changes.push({ path: key, kind: 'changed', before: x, after: y });
  }
  return changes.sort((p, q) => (p.path < q.path ? -1 : p.path > q.path ? 1 : 0));
}

export interface PreviewRecord {
  readonly id: string;
  readonly contributions: readonly Contribution[];
  readonly lifecycle?: Pick<LifecycleRecord, 'state'>;
}

export interface PathImpact {
  readonly path: string;
  /** Records whose value at this path would change. */
  readonly count: number;
  readonly samples: readonly { readonly id: string; readonly before?: unknown; readonly after?: unknown }[];
}

export interface RuleChangePreview {
  readonly total: number;
  /** Records with at least one changed attribute. */
  readonly changed: number;
  readonly paths: readonly PathImpact[];
  /** The first changed records (by id) with all their changes. */
  readonly samples: readonly { readonly id: string; readonly changes: readonly AttributeChange[] }[];
}

/**
 * What a rule change would do: each record resolved under the old and the new rules (with
 * transforms), compared attribute by attribute. Nothing is written. Records are taken in id
 * order so samples are stable.
 */
export async function previewRuleChange(input: {
  readonly records: readonly PreviewRecord[];
  readonly oldRules: CompiledRuleSet;
  readonly newRules: CompiledRuleSet;
  readonly now: Date;
  /** Samples per path and changed records listed (default 5). */
  readonly sampleSize?: number;
}): Promise<RuleChangePreview> {
  const sampleSize = input.sampleSize ?? 5;
  const byPath = new Map<
    string,
    { count: number; samples: { id: string; before?: unknown; after?: unknown }[] }
  >();
  const samples: { id: string; changes: AttributeChange[] }[] = [];
  let changed = 0;
  const records = [...input.records].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const record of records) {
    const base = {
      contributions: record.contributions,
      now: input.now,
      ...(record.lifecycle ? { lifecycle: record.lifecycle } : {}),
    };
    const before = await computeGolden({ ...base, rules: input.oldRules });
    const after = await computeGolden({ ...base, rules: input.newRules });
    const changes = diffGolden(before.resource, after.resource, input.newRules.schemas);
    if (changes.length === 0) continue;
    changed++;
    if (samples.length < sampleSize) samples.push({ id: record.id, changes });
    for (const c of changes) {
      let slot = byPath.get(c.path);
      if (!slot) byPath.set(c.path, (slot = { count: 0, samples: [] }));
      slot.count++;
      if (slot.samples.length < sampleSize) {
        slot.samples.push({
          id: record.id,
          ...(c.before !== undefined ? { before: c.before } : {}),
          ...(c.after !== undefined ? { after: c.after } : {}),
        });
      }
    }
  }
  const paths = [...byPath.entries()]
    .map(([path, s]) => ({ path, count: s.count, samples: s.samples }))
    .sort((a, b) => b.count - a.count || (a.path < b.path ? -1 : 1));
  return { total: records.length, changed, paths, samples };
}
