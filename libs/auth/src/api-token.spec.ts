import { randomUUID } from 'node:crypto';
import { bearerToken, issueApiToken, parseApiToken, secretMatches } from './api-token';

describe('API tokens', () => {
  it('round-trips the client id and verifies only the right secret', () => {
    const id = randomUUID();
    const issued = issueApiToken(id);
    const parsed = parseApiToken(issued.token);
    expect(parsed?.clientId).toBe(id);
    expect(secretMatches(parsed!.secret, issued.secretHash)).toBe(true);
    const other = issueApiToken(id);
    expect(secretMatches(parseApiToken(other.token)!.secret, issued.secretHash)).toBe(false);
  });

  it('never stores the secret itself', () => {
    const issued = issueApiToken(randomUUID());
    const secret = parseApiToken(issued.token)!.secret;
    expect(issued.secretHash.toString('utf8')).not.toContain(secret);
    expect(issued.secretHash.toString('base64url')).not.toBe(secret);
  });

  it.each([
    '',
    'shub_',
    'Bearer x',
    'shub_zz_abc',
    `shub_${'a'.repeat(32)}_short`,
    `xhub_${'a'.repeat(32)}_${'b'.repeat(43)}`,
  ])('rejects malformed token %j', (token) => expect(parseApiToken(token)).toBeNull());

  it('reads bearer headers case-insensitively and nothing else', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer abc')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeNull();
    expect(bearerToken('Bearer a b')).toBeNull();
    expect(bearerToken(undefined)).toBeNull();
  });
});
