import type { ReportDelta } from './report';

/** How often a run's row is written while it runs (the first page is written at once). */
export const PROGRESS_INTERVAL_MS = 1_000;

/** Two deltas as one: counts and action outcomes added, samples in order (each delta's are bounded). */
export function mergeDeltas(a: ReportDelta, b: ReportDelta): ReportDelta {
  const counts = { ...a.counts };
  for (const [k, v] of Object.entries(b.counts)) counts[k] = (counts[k] ?? 0) + v;
  const actions: ReportDelta['actions'] = {};
  for (const [k, v] of Object.entries(a.actions)) actions[k] = { ...v };
  for (const [k, v] of Object.entries(b.actions)) {
    const t = (actions[k] ??= { ok: 0, failed: 0, skipped: 0, planned: 0 });
    t.ok += v.ok;
    t.failed += v.failed;
    t.skipped += v.skipped;
    t.planned += v.planned;
  }
  return { pages: a.pages + b.pages, counts, actions, samples: [...a.samples, ...b.samples] };
}

/**
 * A run's progress, merged in memory and written at most once per interval (and on `flush`): the
 * row stays live for an admin without one commit per page, which cost a 100,000-object run 200
 * commits. Writes go one after another, in order; a failed write rejects the `add` or `flush`
 * that started it, and its delta is kept for the next write.
 */
export class ProgressBuffer {
  private pending: ReportDelta | null = null;
  private lastWrite = Number.NEGATIVE_INFINITY;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly write: (delta: ReportDelta) => Promise<void>,
    private readonly intervalMs = PROGRESS_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Adds a page's delta (its outcomes final); writes when the interval has passed. */
  add(delta: ReportDelta): Promise<void> {
    this.pending = this.pending ? mergeDeltas(this.pending, delta) : delta;
    return this.now() - this.lastWrite >= this.intervalMs ? this.flush() : this.writing;
  }

  /** Writes whatever is pending (after any write in flight). */
  flush(): Promise<void> {
    this.writing = this.writing.then(async () => {
      const delta = this.pending;
      if (!delta) return;
      this.pending = null;
      this.lastWrite = this.now();
      try {
        await this.write(delta);
      } catch (error) {
        this.pending = this.pending ? mergeDeltas(delta, this.pending) : delta;
        throw error;
      }
    });
    const done = this.writing;
    // The chain goes on after a failure (the caller of this flush sees it).
    this.writing = done.catch(() => undefined);
    return done;
  }
}
