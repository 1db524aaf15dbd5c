import { BadRequestError, PreconditionFailedError } from '../errors/scim-error';
import { assertIfMatch, formatETag, ifMatchPasses, ifNoneMatchPasses, parseETagList } from './etag';

describe('ETags (rfc7644 §3.14)', () => {
  it('formats weak tags', () => {
    expect(formatETag('e180ee84f0671b1')).toBe('W/"e180ee84f0671b1"');
    expect(formatETag(7)).toBe('W/"7"');
    expect(() => formatETag('a"b')).toThrow();
  });

  it('parses lists', () => {
    expect(parseETagList('W/"a", "b" ,W/"c"')).toEqual([
      { weak: true, opaque: 'a' },
      { weak: false, opaque: 'b' },
      { weak: true, opaque: 'c' },
    ]);
    expect(parseETagList(' * ')).toBe('*');
    for (const bad of ['a', '"a', 'W/a', '"a" "b"', '', ','])
      expect(() => parseETagList(bad)).toThrow(BadRequestError);
  });

  it('rfc7644 §3.14 If-Match uses weak comparison', () => {
    expect(ifMatchPasses('W/"e180ee84f0671b1"', 'e180ee84f0671b1')).toBe(true);
    expect(ifMatchPasses('"e180ee84f0671b1"', 'e180ee84f0671b1')).toBe(true);
    expect(ifMatchPasses('W/"old", W/"older"', 'new')).toBe(false);
    expect(ifMatchPasses('*', 'x')).toBe(true);
    expect(ifMatchPasses('*', undefined)).toBe(false);
    expect(ifMatchPasses(undefined, 'x')).toBe(true);
    expect(() => assertIfMatch('W/"old"', 'new')).toThrow(PreconditionFailedError);
  });

  it('If-None-Match', () => {
    expect(ifNoneMatchPasses('W/"a"', 'a')).toBe(false);
    expect(ifNoneMatchPasses('W/"a"', 'b')).toBe(true);
    expect(ifNoneMatchPasses('*', undefined)).toBe(true);
    expect(ifNoneMatchPasses('*', 'a')).toBe(false);
  });
});
