import { decodeDeltaToken, encodeDeltaToken } from './scim-delta-token';

describe('delta tokens', () => {
  it('round-trips a window start and a position inside a window', () => {
    expect(decodeDeltaToken(encodeDeltaToken('fp', { from: '812:815:813' }), 'fp')).toEqual({
      from: '812:815:813',
    });
    expect(
      decodeDeltaToken(encodeDeltaToken('fp', { from: '1:1:', to: '90:95:91,93', after: '4411' }), 'fp'),
    ).toEqual({
      from: '1:1:',
      to: '90:95:91,93',
      after: '4411',
    });
  });

  it('an empty token is the beginning of the feed', () => {
    expect(decodeDeltaToken('', 'fp')).toEqual({ from: '1:1:' });
  });

  it('is URL-safe without encoding', () => {
    expect(
      encodeDeltaToken('a/b+c', {
        from: '18446744073709551615:18446744073709551615:',
        to: '1:2:',
        after: '2',
      }),
    ).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it.each([
    ['garbage', 'not base64url!'],
    ['JSON that is not a token', Buffer.from('{"v":1}').toString('base64url')],
    [
      'a bound that is not a snapshot',
      Buffer.from('{"v":1,"f":"fp","x":"1:2:3; DROP"}').toString('base64url'),
    ],
    [
      'a position without its window',
      Buffer.from('{"v":1,"f":"fp","x":"1:1:","a":"5"}').toString('base64url'),
    ],
    ['another version', Buffer.from('{"v":2,"f":"fp","x":"1:1:"}').toString('base64url')],
    ['an overlong token', 'A'.repeat(9000)],
  ])('refuses %s', (_name, text) => {
    expect(() => decodeDeltaToken(text, 'fp')).toThrow('not one this server issued');
  });

  it('refuses a token issued for another query', () => {
    expect(() => decodeDeltaToken(encodeDeltaToken('other', { from: '1:1:' }), 'fp')).toThrow(
      'different query',
    );
  });
});
