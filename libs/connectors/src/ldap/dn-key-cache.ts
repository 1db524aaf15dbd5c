/**
 * Normalised DN → source key, least recently used first out, for resolving group members
 * without a lookup. Bounded, so a pull's memory does not grow with the directory: a member
 * whose entry has left the cache is looked up on the server instead (ADR 0501).
 */
export class DnKeyCache {
  private readonly entries = new Map<string, string>();

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(dn: string): string | undefined {
    const key = this.entries.get(dn);
    if (key !== undefined) {
      // Maps iterate in insertion order: re-inserting makes it the most recently used.
      this.entries.delete(dn);
      this.entries.set(dn, key);
    }
    return key;
  }

  set(dn: string, key: string): void {
    if (this.capacity <= 0) return;
    this.entries.delete(dn);
    this.entries.set(dn, key);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }
}
