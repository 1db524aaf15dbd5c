import { createHash } from 'node:crypto';

/**
 * The remote ids a run has seen, in 8 bytes each (a 48-bit hash in a Float64Array), so a run over
 * a million objects keeps 8 MB, not the ids. Filled while paging, sealed (sorted) once, then asked
 * for each link whether its remote object was seen. A hash collision can only hide a `missing`
 * object (p ≈ n²/2⁴⁹: 2·10⁻³ at a million); the next full run finds it.
 */
export class SeenSet {
  private values = new Float64Array(1024);
  private size = 0;
  private sealed = false;

  add(id: string): void {
    if (this.sealed) throw new Error('SeenSet is sealed');
    if (this.size === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.size++] = hash48(id);
  }

  get count(): number {
    return this.size;
  }

  seal(): void {
    if (this.sealed) return;
    this.values = this.values.slice(0, this.size).sort();
    this.sealed = true;
  }

  has(id: string): boolean {
    if (!this.sealed) this.seal();
    const h = hash48(id);
    let lo = 0;
    let hi = this.size - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.values[mid]!;
      if (v === h) return true;
      if (v < h) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }
}

function hash48(id: string): number {
  return createHash('md5').update(id).digest().readUIntBE(0, 6);
}
