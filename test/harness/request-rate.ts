/**
 * The most requests that arrived within any window of `windowMs` (a sliding window over the
 * arrival times): what "never more than N requests per second" is checked against.
 */
export function maxInAnyWindow(times: readonly number[], windowMs = 1_000): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= windowMs) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}
