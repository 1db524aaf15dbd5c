const MOD = 2 ** 32;

/** What Postgres and a run both compute over a set of links (`LinkTally`). */
export interface LinkTallyValue {
  readonly count: number;
  /** The sum of `uuid_hash(resource_id)` (as unsigned 32-bit numbers), mod 2³². */
  readonly sum: number;
}

/**
 * A set of links as a count and a sum of Postgres's own hash of their resource ids (`uuid_hash`,
 * which costs the statement nothing next to reading the rows). A run tallies the links it saw
 * during the read and Postgres tallies the links it would walk for missing objects
 * (`ReconcileStoreRepository.activeLinksTally`): equal tallies mean the read saw every one of
 * them, and the walk (a tenth of a 100,000-object run) is skipped. Two different sets of the
 * same size tally the same with p ≈ 2⁻³² (the next full run finds the missing object then); a
 * link seen twice, or changed since its page was read, only makes them differ, and the walk runs.
 */
export class LinkTally implements LinkTallyValue {
  count = 0;
  sum = 0;

  add(resourceId: string): void {
    this.count += 1;
    this.sum = (this.sum + (uuidHash(resourceId) >>> 0)) % MOD;
  }

  matches(other: LinkTallyValue): boolean {
    return this.count === other.count && this.sum === other.sum;
  }
}

/**
 * PostgreSQL's `uuid_hash`: Bob Jenkins' lookup3 over the 16 bytes (`hash_bytes` in
 * src/common/hashfn.c, little-endian words), signed like Postgres's int4.
 */
export function uuidHash(uuid: string): number {
  const word = (i: number) =>
    byteAt(uuid, HEX_AT[i * 8]!) |
    (byteAt(uuid, HEX_AT[i * 8 + 2]!) << 8) |
    (byteAt(uuid, HEX_AT[i * 8 + 4]!) << 16) |
    (byteAt(uuid, HEX_AT[i * 8 + 6]!) << 24);
  let a = (0x9e3779b9 + 16 + 3923095) | 0;
  let b = a;
  let c = a;
  a = (a + word(0)) | 0;
  b = (b + word(1)) | 0;
  c = (c + word(2)) | 0;
  // mix(a, b, c)
  a = (a - c) | 0;
  a ^= rot(c, 4);
  c = (c + b) | 0;
  b = (b - a) | 0;
  b ^= rot(a, 6);
  a = (a + c) | 0;
  c = (c - b) | 0;
  c ^= rot(b, 8);
  b = (b + a) | 0;
  a = (a - c) | 0;
  a ^= rot(c, 16);
  c = (c + b) | 0;
  b = (b - a) | 0;
  b ^= rot(a, 19);
  a = (a + c) | 0;
  c = (c - b) | 0;
  c ^= rot(b, 4);
  b = (b + a) | 0;
  // The last four bytes, then final(a, b, c).
  a = (a + word(3)) | 0;
  c ^= b;
  c = (c - rot(b, 14)) | 0;
  a ^= c;
  a = (a - rot(c, 11)) | 0;
  b ^= a;
  b = (b - rot(a, 25)) | 0;
  c ^= b;
  c = (c - rot(b, 16)) | 0;
  a ^= c;
  a = (a - rot(c, 4)) | 0;
  b ^= a;
  b = (b - rot(a, 14)) | 0;
  c ^= b;
  c = (c - rot(b, 24)) | 0;
  return c;
}

/** Where the 32 hex digits of a uuid's text are (between its hyphens). */
const HEX_AT = [...Array(36).keys()].filter((i) => i !== 8 && i !== 13 && i !== 18 && i !== 23);

/** The byte whose two hex digits start at `at` (read from the characters: 3 % of a run through parseInt). */
function byteAt(text: string, at: number): number {
  return (hexDigit(text.charCodeAt(at)) << 4) | hexDigit(text.charCodeAt(at + 1));
}

function hexDigit(c: number): number {
  return c <= 57 ? c - 48 : (c | 32) - 87;
}

function rot(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
