import {
  ENTERPRISE,
  RFC7643_8_2_FULL_USER,
  RFC7643_8_3_ENTERPRISE_USER,
  RFC7643_8_4_GROUP,
} from '../__fixtures__/rfc7643.fixtures';
import { InvalidFilterError } from '../errors/scim-error';
import { SchemaRegistry } from '../schema/schema.registry';
import type { JsonObject } from '../util/json.util';
import { compileFilter, evaluateFilter } from './filter.evaluator';
import { parseFilter } from './filter.parser';
import { validateFilter } from './filter.validator';

const registry = SchemaRegistry.withBuiltIns();
const users = registry.resourceType('User');
const groups = registry.resourceType('Group');
const bjensen = RFC7643_8_3_ENTERPRISE_USER;
const matches = (filter: string, resource: JsonObject = bjensen) =>
  evaluateFilter(parseFilter(filter), resource, users);

describe('evaluateFilter on RFC 7643 §8.3 bjensen', () => {
  const table: [string, string, boolean][] = [
    [
      'rfc7644 §3.4.2.2 eq is case-insensitive for caseExact=false',
      'userName eq "BJENSEN@example.com"',
      true,
    ],
    ['rfc7644 §3.4.2.2 co', `name.familyName co "ense"`, true],
    ['rfc7644 §3.4.2.2 sw', 'userName sw "J"', false],
    ['rfc7644 §3.4.2.2 sw matches', 'userName sw "bj"', true],
    [
      'rfc7644 §3.4.2.2 URN-qualified core attribute',
      'urn:ietf:params:scim:schemas:core:2.0:User:userName sw "B"',
      true,
    ],
    ['rfc7644 §3.4.2.2 pr', 'title pr', true],
    ['rfc7644 §3.4.2.2 pr absent', 'nickName pr and userType eq "Intern"', false],
    ['rfc7644 §3.4.2.2 gt dateTime', 'meta.lastModified gt "2011-05-13T04:42:34Z"', false],
    ['rfc7644 §3.4.2.2 ge dateTime', 'meta.lastModified ge "2011-05-13T04:42:34Z"', true],
    ['rfc7644 §3.4.2.2 lt dateTime', 'meta.lastModified lt "2011-05-13T04:42:34Z"', false],
    ['rfc7644 §3.4.2.2 le dateTime', 'meta.lastModified le "2011-05-13T04:42:34Z"', true],
    ['dateTime compares instants, not text', 'meta.lastModified eq "2011-05-13T06:42:34+02:00"', true],
    ['dateTime with fraction', 'meta.created lt "2010-01-23T04:56:22.001Z"', true],
    ['rfc7644 §3.4.2.2 and', 'title pr and userType eq "Employee"', true],
    ['rfc7644 §3.4.2.2 or', 'title pr or userType eq "Intern"', true],
    [
      'rfc7644 §3.4.2.2 schemas eq',
      'schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"',
      true,
    ],
    [
      'rfc7644 §3.4.2.2 complex attribute compares its value',
      'userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")',
      true,
    ],
    [
      'rfc7644 §3.4.2.2 not',
      'userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")',
      false,
    ],
    [
      'rfc7644 §3.4.2.2 value path same element',
      'userType eq "Employee" and emails[type eq "work" and value co "@example.com"]',
      true,
    ],
    [
      'value path needs one element to satisfy both',
      'emails[type eq "home" and value co "@example.com"]',
      false,
    ],
    [
      'separate conditions may match different elements',
      'emails.type eq "home" and emails.value co "@example.com"',
      true,
    ],
    [
      'rfc7644 §3.4.2.2 two value paths',
      'emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]',
      true,
    ],
    ['extension attribute', `${ENTERPRISE}:employeeNumber eq "701984"`, true],
    [
      'extension sub-attribute, caseExact=false',
      `${ENTERPRISE}:manager.value eq "26118915-6090-4610-87E4-49D8CA9F808D"`,
      true,
    ],
    ['caseExact=true attribute (externalId)', 'externalId eq "701984"', true],
    ['caseExact=true id is exact', 'id eq "2819C223-7F76-453A-919D-413861904646"', false],
    ['boolean', 'active eq true', true],
    ['boolean ne', 'active ne true', false],
    ['ne on absent attribute matches', 'nickName ne "Bob"', true],
    ['eq null is not present', 'entitlements eq null and nickName ne null', true],
    [
      'co on missing attribute',
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:division co "x"',
      false,
    ],
    ['ew', 'emails.value ew "JENSEN.ORG"', true],
    ['string ordering', 'userName gt "a" and userName lt "c"', true],
    ['primary boolean inside value path', 'emails[primary eq true and type eq "work"]', true],
    ['pr on complex', 'name pr', true],
    ['pr on sub-attribute', 'name.middleName pr', true],
  ];
  it.each(table)('%s', (_name, filter, expected) => {
    expect(matches(filter)).toBe(expected);
  });

  it('an empty string or empty list is not present (rfc7644 §3.4.2.2 pr)', () => {
    expect(matches('title pr', { ...bjensen, title: '' })).toBe(false);
    expect(matches('emails pr', { ...bjensen, emails: [] })).toBe(false);
    expect(matches('name pr', { ...bjensen, name: { givenName: '' } })).toBe(false);
  });

  it('does not match values of the wrong JSON type', () => {
    expect(matches('active eq true', { ...bjensen, active: 'true' })).toBe(false);
    expect(
      matches('meta.lastModified gt "2000-01-01T00:00:00Z"', {
        ...bjensen,
        meta: { lastModified: 'yesterday' },
      }),
    ).toBe(false);
  });

  it('reads attribute names case-insensitively and ignores inherited properties', () => {
    expect(
      matches('USERNAME eq "bjensen@example.com"', {
        schemas: bjensen.schemas,
        UserName: 'bjensen@example.com',
      }),
    ).toBe(true);
    expect(matches('title pr', { schemas: bjensen.schemas })).toBe(false);
    const hostile = JSON.parse('{"__proto__": {"title": "x"}, "constructor": {"value": "y"}}');
    expect(matches('title pr', hostile)).toBe(false);
  });

  it('evaluates group members (rfc7643 §8.4)', () => {
    const f = parseFilter('members[value eq "902c246b-6245-4190-8e05-00816be7344a"]');
    expect(evaluateFilter(f, RFC7643_8_4_GROUP, groups)).toBe(true);
    expect(evaluateFilter(parseFilter('displayName eq "tour guides"'), RFC7643_8_4_GROUP, groups)).toBe(true);
  });

  it('compileFilter reuses one validated tree across resources', () => {
    const predicate = compileFilter(validateFilter(parseFilter('emails[type eq "work"]'), users));
    expect([RFC7643_8_2_FULL_USER, { schemas: [] }].map(predicate)).toEqual([true, false]);
  });

  it('validates before evaluating a bare parse tree', () => {
    expect(() => matches('password eq "t1meMa$heen"')).toThrow(InvalidFilterError);
  });
});
