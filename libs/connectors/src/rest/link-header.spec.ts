import { nextLink } from './link-header';

describe('nextLink (RFC 8288)', () => {
  const base = 'https://api.example.com/v1/people?page=1';
  it.each([
    ['<https://api.example.com/v1/people?page=2>; rel="next"', 'https://api.example.com/v1/people?page=2'],
    [
      '</v1/people?page=1>; rel="prev", </v1/people?page=3>; rel=next',
      'https://api.example.com/v1/people?page=3',
    ],
    ['<?page=4>; title="x, y"; rel="last next"', 'https://api.example.com/v1/people?page=4'],
    ['<https://a/x>; rel="NEXT"', 'https://a/x'],
    ['<https://a/x>; rel="last"', undefined],
    [undefined, undefined],
  ])('%s', (header, expected) => {
    expect(nextLink(header, base)).toBe(expected);
  });

  it('reads several Link header fields', () => {
    expect(nextLink(['<https://a/1>; rel="prev"', '<https://a/3>; rel="next"'], base)).toBe('https://a/3');
  });
});
