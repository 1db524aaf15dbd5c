import type { UnitIndex, UnitMap } from '../paths/unit-index';
import type { UnitOrigin } from '../resolve/resolve-units';
import { hashJson } from '../util/canonical-json';

/** Per golden attribute (unit): who set it, under which rule, since when, and what it was before. */
export interface ProvenanceEntry extends UnitOrigin {
  readonly path: string;
  readonly valueHash: string;
  /** When the value last changed (carried over while the value stays the same, whoever asserts it). */
  readonly since: Date;
  /** The value before `since`; absent when the attribute was new then. */
  readonly previousValue?: unknown;
}

/** What the golden record was before this resolution, as stored. */
export interface PreviousGolden {
  readonly resource?: Readonly<Record<string, unknown>> | null;
  readonly provenance?: readonly ProvenanceEntry[] | null;
}

/** Provenance for every unit of the golden record, sorted by path. */
export function buildProvenance(
  units: UnitMap,
  origins: ReadonlyMap<string, UnitOrigin>,
  index: UnitIndex,
  previous: PreviousGolden | undefined,
  now: Date,
): ProvenanceEntry[] {
  const before = new Map((previous?.provenance ?? []).map((p) => [p.path, p]));
  let previousUnits: UnitMap | undefined;
  const oldValue = (key: string): unknown => {
    if (!previous?.resource) return undefined;
    previousUnits ??= index.decompose(previous.resource).units;
    return previousUnits.get(key)?.value;
  };
  const keys = [...units.keys()].sort();
  const out: ProvenanceEntry[] = [];
  for (const key of keys) {
    const value = units.get(key)!.value;
    const origin = origins.get(key) ?? { policy: 'transform', rule: 'unknown', sources: [] };
    const valueHash = hashJson(value);
    const prior = before.get(key);
    let since = now;
    let previousValue: unknown;
    if (prior && prior.valueHash === valueHash) {
      since = prior.since;
      previousValue = prior.previousValue;
    } else {
      const old = oldValue(key);
      if (old !== undefined && hashJson(old) !== valueHash) previousValue = old;
    }
    out.push({
      path: key,
      policy: origin.policy,
      rule: origin.rule,
      sources: origin.sources,
      ...(origin.transforms && origin.transforms.length > 0 ? { transforms: origin.transforms } : {}),
      valueHash,
      since,
      ...(previousValue !== undefined ? { previousValue } : {}),
    });
  }
  return out;
}
