import type { AttributeDifference } from './compare';
import type { ReconcileAction, ReconcileClass } from './policy';

/** One example of a class on the run's report. */
export interface ReconcileSample {
  readonly class: ReconcileClass;
  readonly remoteId: string | null;
  readonly resourceId: string | null;
  readonly label: string | null;
  readonly differences?: readonly AttributeDifference[];
  readonly action: ReconcileAction;
  /** `planned` on a dry run; `ok`, `failed: …`, `skipped: …` otherwise. */
  outcome: string;
}

export type ActionOutcomes = Record<string, { ok: number; failed: number; skipped: number; planned: number }>;

/** What a page adds to the run's row. */
export interface ReportDelta {
  pages: number;
  counts: Record<string, number>;
  actions: ActionOutcomes;
  samples: ReconcileSample[];
}

/** Samples kept per class (the counts are always exact). */
export const SAMPLES_PER_CLASS = 20;
/** Differences kept per sample, and characters per value shown. */
const DIFFERENCES_SHOWN = 20;
const VALUE_CHARS = 500;

/**
 * Accumulates one page of a run (counts per class, action outcomes, bounded samples) and hands
 * it over as a delta for the run's row; the run keeps only how many samples of each class it has.
 */
export class ReportPage {
  private delta: ReportDelta = { pages: 0, counts: {}, actions: {}, samples: [] };

  constructor(private readonly sampled: Map<string, number> = new Map()) {}

  /** A class, or another tally of the run (`seen`, `owned_changed`). */
  count(cls: ReconcileClass | 'seen' | 'owned_changed' | 'invalid', n = 1): void {
    this.delta.counts[cls] = (this.delta.counts[cls] ?? 0) + n;
  }

  /** Keeps a sample when the class has room; returns it so its outcome can be filled in. */
  sample(s: Omit<ReconcileSample, 'outcome'> & { outcome?: string }): ReconcileSample | undefined {
    const taken = this.sampled.get(s.class) ?? 0;
    if (taken >= SAMPLES_PER_CLASS) return undefined;
    this.sampled.set(s.class, taken + 1);
    const kept: ReconcileSample = {
      ...s,
      ...(s.differences ? { differences: s.differences.slice(0, DIFFERENCES_SHOWN).map(clip) } : {}),
      outcome: s.outcome ?? 'pending',
    };
    this.delta.samples.push(kept);
    return kept;
  }

  action(action: ReconcileAction | 'absorb', outcome: 'ok' | 'failed' | 'skipped' | 'planned'): void {
    if (action === 'none') return;
    const a = (this.delta.actions[action] ??= { ok: 0, failed: 0, skipped: 0, planned: 0 });
    a[outcome] += 1;
  }

  page(): void {
    this.delta.pages += 1;
  }

  take(): ReportDelta {
    const d = this.delta;
    this.delta = { pages: 0, counts: {}, actions: {}, samples: [] };
    return d;
  }

  get empty(): boolean {
    return (
      this.delta.pages === 0 &&
      !Object.keys(this.delta.counts).length &&
      !Object.keys(this.delta.actions).length &&
      !this.delta.samples.length
    );
  }
}

function clip(d: AttributeDifference): AttributeDifference {
  const cut = (v: unknown) => {
    const s = JSON.stringify(v);
    return s !== undefined && s.length > VALUE_CHARS ? `${s.slice(0, VALUE_CHARS)}…` : v;
  };
  return { path: d.path, hub: cut(d.hub), remote: cut(d.remote) };
}

/** Adds a page's counts and action outcomes to the run's totals (pure, for the repository and tests). */
export function mergeCounts(
  total: Record<string, number>,
  delta: Record<string, number>,
): Record<string, number> {
  const out = { ...total };
  for (const [k, v] of Object.entries(delta)) out[k] = (out[k] ?? 0) + v;
  return out;
}
