import { backoffDelay, DEFAULT_RETRY, parseRetryAfter } from './retry';
import { TokenBucket } from './token-bucket';
import { classifyNetworkError } from './network-errors';

describe('Retry-After and backoff', () => {
  it('reads delay-seconds and HTTP-dates (RFC 9110 §10.2.3)', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(['0'], now)).toBe(0);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('backs off exponentially with full jitter, capped', () => {
    const policy = { ...DEFAULT_RETRY, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay(1, policy, () => 1)).toBe(100);
    expect(backoffDelay(3, policy, () => 1)).toBe(400);
    expect(backoffDelay(10, policy, () => 1)).toBe(1000);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(200);
  });
});

describe('TokenBucket', () => {
  it('allows the burst, then spaces requests at the rate, queueing fairly', () => {
    let now = 0;
    const bucket = new TokenBucket({ requestsPerSecond: 10, burst: 2 }, () => now);
    expect([bucket.reserve(), bucket.reserve()]).toEqual([0, 0]);
    expect(bucket.reserve()).toBeCloseTo(100);
    expect(bucket.reserve()).toBeCloseTo(200); // behind the previous reservation
    now = 1000;
    expect(bucket.reserve()).toBe(0);
  });
});

describe('classifyNetworkError', () => {
  it('tells TLS failures from unreachable hosts, looking through causes', () => {
    const tls = Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    expect(classifyNetworkError(tls)?.kind).toBe('tls');
    expect(
      classifyNetworkError(new Error('fetch failed', { cause: { message: 'x', code: 'ECONNREFUSED' } })),
    ).toEqual({
      kind: 'unreachable',
      reason: 'ECONNREFUSED',
    });
    expect(classifyNetworkError(new Error('Bad request'))).toBeUndefined();
  });
});
