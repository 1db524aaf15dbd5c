import { PrepaidTokens } from './prepaid-tokens';

describe('PrepaidTokens (rate tokens a push took with its slot)', () => {
  it('gives each token no earlier than it is due, in order', () => {
    const tokens = new PrepaidTokens(10);
    tokens.add(1_000, 4, 3); // due at 1000, 1004, 1008
    expect(tokens.take(990)).toBe(10);
    expect(tokens.take(1_001)).toBe(3);
    expect(tokens.take(1_008)).toBe(0);
    expect(tokens.take(1_008)).toBeNull();
  });

  it('drops a token more than the allowed lateness past due, and the earlier ones with it', () => {
    const tokens = new PrepaidTokens(10);
    tokens.add(1_000, 20, 3); // due at 1000, 1020, 1040
    // At 1035 the first is 35 ms late (dropped), the second 15 ms (dropped), the third still ahead.
    expect(tokens.take(1_035)).toBe(5);
    expect(tokens.left).toBe(0);
    tokens.add(2_000, 5, 2);
    // A slow answer: both tokens stale, the request takes a fresh one.
    expect(tokens.take(2_100)).toBeNull();
  });

  it('still spends a token that is late by at most the allowance', () => {
    const tokens = new PrepaidTokens(10);
    tokens.add(1_000, 5, 1);
    expect(tokens.take(1_010)).toBe(0);
  });
});
