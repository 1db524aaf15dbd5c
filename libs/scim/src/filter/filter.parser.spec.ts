import { InvalidFilterError, InvalidPathError, ScimError } from '../errors/scim-error';
import { parseAttrPath, parseFilter, parsePath } from './filter.parser';
import { printFilter, printPath } from './filter.printer';

describe('parseFilter / printFilter', () => {
  // RFC 7644 §3.4.2.2 figure 2 examples: each parses, and prints back to the same canonical text.
  const rfcExamples: [string, string][] = [
    ['rfc7644 §3.4.2.2 eq', 'userName eq "bjensen"'],
    ['rfc7644 §3.4.2.2 co with quote', `name.familyName co "O'Malley"`],
    ['rfc7644 §3.4.2.2 sw', 'userName sw "J"'],
    ['rfc7644 §3.4.2.2 URN-qualified sw', 'urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"'],
    ['rfc7644 §3.4.2.2 pr', 'title pr'],
    ['rfc7644 §3.4.2.2 gt dateTime', 'meta.lastModified gt "2011-05-13T04:42:34Z"'],
    ['rfc7644 §3.4.2.2 ge dateTime', 'meta.lastModified ge "2011-05-13T04:42:34Z"'],
    ['rfc7644 §3.4.2.2 lt dateTime', 'meta.lastModified lt "2011-05-13T04:42:34Z"'],
    ['rfc7644 §3.4.2.2 le dateTime', 'meta.lastModified le "2011-05-13T04:42:34Z"'],
    ['rfc7644 §3.4.2.2 pr and eq', 'title pr and userType eq "Employee"'],
    ['rfc7644 §3.4.2.2 pr or eq', 'title pr or userType eq "Intern"'],
    [
      'rfc7644 §3.4.2.2 schemas eq',
      'schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"',
    ],
    [
      'rfc7644 §3.4.2.2 grouping',
      'userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")',
    ],
    [
      'rfc7644 §3.4.2.2 not group',
      'userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")',
    ],
    ['rfc7644 §3.4.2.2 group of one', 'userType eq "Employee" and emails.type eq "work"'],
    [
      'rfc7644 §3.4.2.2 value path',
      'userType eq "Employee" and emails[type eq "work" and value co "@example.com"]',
    ],
    [
      'rfc7644 §3.4.2.2 two value paths',
      'emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]',
    ],
    [
      'extension sub-attribute',
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915"',
    ],
    ['literals', 'a eq true or b eq false or c eq null or d eq -1500'],
  ];
  it.each(rfcExamples)('%s', (_name, text) => {
    const ast = parseFilter(text);
    // the RFC's `(emails.type eq "work")` loses its redundant parentheses; all others print verbatim
    expect(printFilter(ast)).toBe(text);
    expect(parseFilter(printFilter(ast))).toEqual(ast);
  });

  it('rfc7644 §3.4.2.2 redundant parentheses are dropped in canonical form', () => {
    expect(printFilter(parseFilter('userType eq "Employee" and (emails.type eq "work")'))).toBe(
      'userType eq "Employee" and emails.type eq "work"',
    );
  });

  it('rfc7644 §3.4.2.2 operators and attribute names are case-insensitive', () => {
    expect(printFilter(parseFilter('userName EQ "x" AND title Pr OR Not (a Eq 1)'))).toBe(
      'userName eq "x" and title pr or not (a eq 1)',
    );
  });

  it('rfc7644 §3.4.2.2 precedence: and binds tighter than or, not tighter than both', () => {
    const ast = parseFilter('a pr or b pr and c pr');
    expect(ast).toMatchObject({ kind: 'or', right: { kind: 'and' } });
    expect(printFilter(parseFilter('(a pr or b pr) and c pr'))).toBe('(a pr or b pr) and c pr');
    expect(printFilter(parseFilter('a pr and (b pr and c pr)'))).toBe('a pr and (b pr and c pr)');
  });

  it('keeps the URN, attribute and sub-attribute of a path', () => {
    const ast = parseFilter(
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "x"',
    );
    expect(ast).toEqual({
      kind: 'compare',
      op: 'eq',
      value: 'x',
      path: {
        uri: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
        attr: 'manager',
        subAttr: 'value',
      },
    });
  });

  it('reads JSON escapes in strings', () => {
    expect(parseFilter('displayName eq "a\\"b\\u00e9"')).toMatchObject({ value: 'a"bé' });
  });

  const errors: [string, string, number][] = [
    ['missing value', 'userName eq', 11],
    ['missing operator', 'userName "x"', 9],
    ['unknown operator', 'userName like "x"', 9],
    ['unterminated string', 'userName eq "abc', 12],
    ['unbalanced parenthesis', '(userName eq "a"', 16],
    ['not without parentheses', 'not userName eq "a"', 4],
    ['trailing junk', 'userName eq "a" x', 16],
    ['nested value filter', 'emails[type[x pr]]', 11],
    ['sub-attribute after value filter', 'emails[type eq "work"].value eq "x"', 22],
    ['bad literal', 'active eq True', 10],
    ['number glued to word', 'a eq 1x', 6],
    ['empty brackets', 'emails[]', 7],
    ['dangling and', 'a pr and', 8],
    ['bad character', 'a eq @', 5],
    ['too many sub-attributes', 'name.givenName.x pr', 0],
    ['URN without attribute', 'urn:ietf:params:scim:schemas:core:2.0:User: pr', 0],
    ['control character', 'a eq "x\ny"', 7],
    ['number out of range', 'a eq 1e999', 5],
  ];
  it.each(errors)('rfc7644 §3.4.2.2 invalidFilter: %s', (_name, text, position) => {
    let error: unknown;
    try {
      parseFilter(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidFilterError);
    expect((error as InvalidFilterError).toJSON()).toMatchObject({
      status: '400',
      scimType: 'invalidFilter',
    });
    expect((error as InvalidFilterError).position).toBe(position);
    expect((error as InvalidFilterError).detail).toContain(`position ${position}`);
  });

  it('bounds the size and nesting of a filter', () => {
    expect(() => parseFilter(`a eq "${'x'.repeat(5000)}"`)).toThrow(/Longer than 4096/);
    expect(() => parseFilter(`${'('.repeat(33)}a pr${')'.repeat(33)}`)).toThrow(/deeper than 32/);
    expect(() => parseFilter(`${'not ('.repeat(40)}a pr${')'.repeat(40)}`)).toThrow(InvalidFilterError);
    expect(printFilter(parseFilter(`${'('.repeat(32)}a pr${')'.repeat(32)}`))).toBe('a pr');
    expect(() => parseFilter('   ')).toThrow(InvalidFilterError);
    expect(() => parseFilter(42)).toThrow(InvalidFilterError);
  });

  it('handles a long flat filter without deep recursion', () => {
    const text = Array.from({ length: 300 }, (_, i) => `a eq ${i}`).join(' or ');
    expect(printFilter(parseFilter(text))).toBe(text);
  });
});

describe('parsePath / printPath (rfc7644 §3.5.2 PATH)', () => {
  it.each([
    'members',
    'name.familyName',
    'members[value eq "2819c223-7f76-453a-919d-413861904646"]',
    'addresses[type eq "work"].streetAddress',
    'emails[type eq "work" and value ew "example.com"]',
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager',
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value',
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
    'members.$ref',
  ])('%s round-trips', (text) => {
    const path = parsePath(text);
    expect(printPath(path)).toBe(text);
    expect(parsePath(printPath(path))).toEqual(path);
  });

  it('splits a value path with a sub-attribute', () => {
    expect(parsePath('emails[type eq "work"].value')).toEqual({
      attrPath: { attr: 'emails' },
      filter: { kind: 'compare', path: { attr: 'type' }, op: 'eq', value: 'work' },
      subAttr: 'value',
    });
  });

  it.each([
    ['', InvalidPathError],
    ['emails[', InvalidFilterError],
    ['emails[type eq]', InvalidFilterError],
    ['emails]', InvalidPathError],
    ['name.givenName[type eq "x"]', InvalidPathError],
    ['emails[type eq "work"].', InvalidPathError],
    ['emails[type eq "work"]x', InvalidPathError],
    ['1abc', InvalidPathError],
    ['a b', InvalidPathError],
  ])('rejects %j', (text, type) => {
    expect(() => parsePath(text)).toThrow(type);
  });

  it('parseAttrPath refuses value filters (sortBy, attributes)', () => {
    expect(parseAttrPath(' name.givenName ')).toEqual({ attr: 'name', subAttr: 'givenName' });
    expect(() => parseAttrPath('emails[type eq "work"]')).toThrow(ScimError);
  });
});
