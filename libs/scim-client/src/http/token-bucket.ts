export interface RateLimit {
  /** Sustained requests per second. */
  readonly requestsPerSecond: number;
  /** Requests allowed at once after a quiet period. Default 1 (strict spacing). */
  readonly burst?: number;
}

/**
 * A token bucket shared by every request to one source or target. `reserve()` returns how long
 * the caller must wait; reservations queue fairly (a later caller waits behind an earlier one)
 * because the balance may go negative.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly rate: number;
  private readonly burst: number;

  constructor(
    limit: RateLimit,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(limit.requestsPerSecond > 0)) throw new RangeError('requestsPerSecond must be positive');
    this.rate = limit.requestsPerSecond / 1000;
    this.burst = Math.max(1, limit.burst ?? 1);
    this.tokens = this.burst;
    this.last = this.now();
  }

  /** Takes one token; the result is the wait in milliseconds before using it. */
  reserve(): number {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + (now - this.last) * this.rate);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : -this.tokens / this.rate;
  }
}
