import { cronProblem, schedulerIdOf } from './sync-schedule';

describe('source schedules', () => {
  it.each(['*/15 * * * *', '0 2 * * *', '0 0 */6 * * *', '0 9 * * MON-FRI'])('accepts %s', (cron) => {
    expect(cronProblem(cron)).toBeNull();
  });
  it.each(['', 'every hour', '61 * * * *', '* * *', '* * * * * * *', '0 25 * * *'])('refuses %j', (cron) => {
    expect(cronProblem(cron)).toMatch(/cron expression/);
  });
  it('one scheduler per source', () => {
    expect(schedulerIdOf('s1')).toBe('sync:s1');
  });
});
