/**
 * Items gathered across pages and sent together: one `send` per batch instead of one per page.
 * A batch goes when it holds `max` items, when its oldest item has waited `maxAgeMs` (checked on
 * each `add`, even of nothing), or on `flush`. `add` resolves once the batch holding the items has been sent (or
 * its send failed: `send` reports per item, a batch is never retried here).
 */
export class RemediationBatch<T> {
  private items: T[] = [];
  private since = 0;
  private sent: Promise<void> | null = null;
  private release: (() => void) | null = null;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly send: (items: T[]) => Promise<void>,
    private readonly max: number,
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Queues items (none: only checks the waiting batch's age); resolves when their batch is sent. */
  add(items: readonly T[]): Promise<void> {
    if (!items.length) {
      if (this.items.length && this.now() - this.since >= this.maxAgeMs) void this.flush();
      return Promise.resolve();
    }
    if (!this.sent) {
      this.since = this.now();
      this.sent = new Promise((resolve) => (this.release = resolve));
    }
    const sent = this.sent;
    this.items.push(...items);
    if (this.items.length >= this.max || this.now() - this.since >= this.maxAgeMs) void this.flush();
    return sent;
  }

  /** Items waiting for their batch. */
  get pending(): number {
    return this.items.length;
  }

  /** Sends what is waiting; resolves when every batch started so far has been sent. */
  async flush(): Promise<void> {
    if (this.items.length) {
      const items = this.items;
      const release = this.release!;
      this.items = [];
      this.sent = null;
      this.release = null;
      const sending = this.send(items)
        .catch(() => undefined)
        .finally(() => {
          release();
          this.inFlight.delete(sending);
        });
      this.inFlight.add(sending);
    }
    await Promise.all([...this.inFlight]);
  }
}
