/**
 * Rate tokens a push took with its slot for requests it has not sent yet (ADR 0603), each with
 * the time it is due. The limiter counted each token at its due time, so a request may use one
 * only near that time: never before it (the wait is returned), and not long after either. A token
 * spent late adds a request to a one-second window the limiter had already filled, so one more
 * than `maxLateMs` past due is dropped (with every earlier one) and the request takes a fresh
 * token. Dropping wastes a little of the target's rate; it never exceeds it.
 */
export class PrepaidTokens {
  private readonly due: number[] = [];

  constructor(private readonly maxLateMs = PREPAID_MAX_LATE_MS) {}

  /** `count` consecutive tokens, the first due at `firstAt`, each next `intervalMs` later (ms). */
  add(firstAt: number, intervalMs: number, count: number): void {
    for (let k = 0; k < count; k++) this.due.push(firstAt + k * intervalMs);
  }

  /** The next usable token: how long to wait before sending (ms, ≥ 0); null when none is left. */
  take(now: number): number | null {
    for (let at = this.due.shift(); at !== undefined; at = this.due.shift())
      if (now - at <= this.maxLateMs) return Math.max(0, at - now);
    return null;
  }

  get left(): number {
    return this.due.length;
  }
}

/**
 * How late a prepaid token may still be spent: at most this share of any one-second window moves
 * (1 % here), well inside the limiter's 5 % headroom.
 */
export const PREPAID_MAX_LATE_MS = 10;
