const MOD = 2 ** 32;

/** What Postgres and a run both compute over a set of links (`LinkTally`). */
export interface LinkTallyValue {
  readonly count: number;
  /** The sum of `uuid_hash(resource_id)` (as unsigned 32-bit numbers), mod 2³². */
  readonly sum: number;
}

/**
 * A set of links as a count and a sum of Postgres's own hash of their resource ids (`uuid_hash`,
 * which each page's statement returns with the links the walk for missing objects would read).
 * A run tallies the links it saw during the read and Postgres tallies the links the walk would
 * read (`ReconcileStoreRepository.activeLinksTally`): equal tallies mean the read saw every one
 * of them, and the walk is skipped. Two different sets of the same size tally the same with
 * p ≈ 2⁻³² (the next full run finds the missing object then); a link seen twice, or changed since
 * its page was read, only makes them differ, and the walk runs.
 */
export class LinkTally implements LinkTallyValue {
  count = 0;
  sum = 0;

  /** A link's `uuid_hash` (Postgres's int4, signed). */
  add(hash: number): void {
    this.count += 1;
    this.sum = (this.sum + (hash >>> 0)) % MOD;
  }

  matches(other: LinkTallyValue): boolean {
    return this.count === other.count && this.sum === other.sum;
  }
}
