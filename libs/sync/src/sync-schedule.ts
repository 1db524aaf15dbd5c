import { CronExpressionParser } from 'cron-parser';

/**
 * Checks a source's schedule with the parser BullMQ's job schedulers use, so what the admin API
 * accepts is exactly what runs. Returns the problem, or null when the expression is fine.
 * Five fields (minute precision) or six (with seconds); at most one run a minute in practice,
 * since a run already open makes the next tick a no-op.
 */
export function cronProblem(expression: string): string | null {
  if (expression.trim() === '' || expression.length > 200) return 'must be a cron expression';
  const fields = expression.trim().split(/\s+/).length;
  if (fields < 5 || fields > 6) return 'must be a cron expression of 5 fields (or 6 with seconds)';
  try {
    CronExpressionParser.parse(expression, { strict: false });
    return null;
  } catch (error) {
    return `is not a valid cron expression: ${(error as Error).message}`;
  }
}

/** BullMQ job scheduler id of a source (one per source). */
export function schedulerIdOf(sourceId: string): string {
  return `sync:${sourceId}`;
}
