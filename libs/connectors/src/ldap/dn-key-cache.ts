/**
 * DN → source key for resolving group members without a lookup. Bounded, so a pull's
 * memory does not grow with the directory: a member whose entry has left the cache is looked up
 * on the server instead (ADR 0501). Two generations instead of an exact LRU list: entries go to
 * the young map; when it holds half the capacity it becomes the old one and the old one is
 * dropped; a hit in the old map moves the entry back to the young one. Every entry used within the
 * last capacity/2 insertions is kept, and each operation is O(1) — evicting from the front of one
 * big Map (iterator past the deleted slots) cost 6 µs an entry at 20,000.
 */
export class DnKeyCache {
  private young = new Map<string, string>();
  private old = new Map<string, string>();
  private readonly half: number;

  constructor(readonly capacity: number) {
    this.half = Math.max(1, Math.ceil(capacity / 2));
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  get(dn: string): string | undefined {
    const key = this.young.get(dn);
    if (key !== undefined) return key;
    const aged = this.old.get(dn);
    if (aged !== undefined) {
      this.old.delete(dn);
      this.put(dn, aged);
    }
    return aged;
  }

  set(dn: string, key: string): void {
    if (this.capacity <= 0) return;
    this.old.delete(dn);
    this.put(dn, key);
  }

  private put(dn: string, key: string): void {
    this.young.set(dn, key);
    if (this.young.size >= this.half) {
      this.old = this.young;
      this.young = new Map();
    }
  }
}
