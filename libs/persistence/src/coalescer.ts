/**
 * Turns many concurrent calls of one statement into few statements: a call made while a batch is
 * running waits and goes with the others in the next one. An idle coalescer runs a call at once
 * (no timer, no added latency); under load the batches grow by themselves. Used by the push
 * step, whose jobs run by the dozen at once and each read and write a few rows: one round trip
 * per batch instead of one per job (ADR 0603).
 */
export class Coalescer<I, O> {
  private pending: Array<{ item: I; resolve: (out: O) => void; reject: (error: unknown) => void }> = [];
  private running = 0;

  constructor(
    /** Runs one batch; resolves to one output per item, in the items' order. */
    private readonly runBatch: (items: readonly I[]) => Promise<readonly O[]>,
    private readonly options: { maxBatch: number; maxInFlight?: number },
  ) {}

  run(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.pump();
    });
  }

  /** Calls waiting for a batch (tests and metrics). */
  get waiting(): number {
    return this.pending.length;
  }

  private pump(): void {
    while (this.running < (this.options.maxInFlight ?? 1) && this.pending.length) {
      const batch = this.pending.splice(0, this.options.maxBatch);
      this.running += 1;
      const settle = (fn: () => void) => {
        this.running -= 1;
        fn();
        this.pump();
      };
      let started: Promise<readonly O[]>;
      try {
        started = this.runBatch(batch.map((b) => b.item));
      } catch (error) {
        started = Promise.reject(error);
      }
      started.then(
        (outs) =>
          settle(() => {
            if (outs.length !== batch.length) {
              const error = new Error(`a batch of ${batch.length} answered ${outs.length}`);
              for (const b of batch) b.reject(error);
            } else batch.forEach((b, i) => b.resolve(outs[i]!));
          }),
        (error: unknown) => settle(() => batch.forEach((b) => b.reject(error))),
      );
    }
  }
}
