/** How a run reads the target: page method and, for a delta, the filter. */
export interface ReadPlan {
  readonly pagination: 'index' | 'cursor';
  readonly mode: 'full' | 'delta';
  readonly filter?: string;
  /** Why the mode differs from the one asked for. */
  readonly note?: string;
}

export interface ReadPlanInput {
  readonly requested: 'full' | 'delta';
  /** The target filters at all (discovery / overrides). */
  readonly filterSupported: boolean;
  /** What the dialect probe found (null: never probed). */
  readonly probe: {
    readonly cursor?: boolean;
    readonly lastModifiedGt?: boolean;
  } | null;
  /** Start of the last completed run of this (target, type): the delta's lower bound. */
  readonly since: Date | null;
  /** Clock skew allowed between the hub and the target. */
  readonly skewMs?: number;
}

/**
 * Cursor paging when the probe saw it work (a stable walk under concurrent writes), index paging
 * otherwise. A delta needs a previous completed run and a target that filters on
 * `meta.lastModified gt` (probe said so; unprobed targets that filter are trusted); else full.
 */
export function planRead(input: ReadPlanInput): ReadPlan {
  const pagination = input.probe?.cursor ? 'cursor' : 'index';
  if (input.requested === 'full') return { pagination, mode: 'full' };
  if (!input.since) return { pagination, mode: 'full', note: 'no completed run yet: full read' };
  const filters = input.probe ? input.probe.lastModifiedGt === true : input.filterSupported;
  if (!filters)
    return { pagination, mode: 'full', note: 'the target does not filter on meta.lastModified: full read' };
  const since = new Date(input.since.getTime() - (input.skewMs ?? 60_000)).toISOString();
  return { pagination, mode: 'delta', filter: `meta.lastModified gt "${since}"` };
}

/** Reads the probe's findings from `targets.dialect` (the stored probe report or its dialect). */
export function probeFindings(dialect: unknown): ReadPlanInput['probe'] {
  if (!dialect || typeof dialect !== 'object') return null;
  const d = dialect as Record<string, unknown>;
  const inner = (d.dialect && typeof d.dialect === 'object' ? d.dialect : d) as Record<string, unknown>;
  const paging = inner.paging as { cursor?: boolean } | undefined;
  const checks = Array.isArray(d.checks) ? (d.checks as Array<{ id?: string; outcome?: string }>) : [];
  const gt = checks.find((c) => c.id === 'filter.gt.lastModified');
  const ops = Array.isArray(inner.filterOperators) ? (inner.filterOperators as string[]) : undefined;
  return {
    ...(paging ? { cursor: paging.cursor === true } : {}),
    ...(gt
      ? { lastModifiedGt: gt.outcome === 'supported' }
      : ops
        ? { lastModifiedGt: ops.includes('gt') }
        : {}),
  };
}
