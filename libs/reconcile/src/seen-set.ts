/**
 * The remote ids a run has seen, in 8 bytes each (a 53-bit hash in a Float64Array), so a run over
 * a million objects keeps 8 MB, not the ids. Filled while paging, sealed (sorted) once, then asked
 * for each link whether its remote object was seen. A hash collision can only hide a `missing`
 * object (p ≈ n²/2⁵⁴: 6·10⁻⁵ at a million); the next full run finds it. The hash is not
 * cryptographic (no hash of this width resists a target crafting collisions, and a crafted one
 * only hides a missing object): it costs 50 ns an id where MD5 through `crypto` cost 2.6 µs,
 * twice per object.
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
    this.values[this.size++] = hash53(id);
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
    const h = hash53(id);
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

/** 53 bits (exact in a double) from two 32-bit multiplicative lanes, each finished by MurmurHash3's fmix32. */
export function hash53(id: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ id.length;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = (Math.imul(b ^ c, 0x5bd1e995) + i) | 0;
  }
  a = fmix32(a ^ b);
  b = fmix32(b + Math.imul(a, 0x27d4eb2d));
  return (b & 0x1fffff) * 0x100000000 + (a >>> 0);
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
