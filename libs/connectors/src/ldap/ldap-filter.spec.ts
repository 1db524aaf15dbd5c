import { FilterParser } from 'ldapts';
import { ConnectorError } from '../connector.error';
import {
  andFilter,
  checkAdminFilter,
  equalityFilter,
  escapeFilterValue,
  toGeneralizedTime,
} from './ldap-filter';
import { formatGuid, normaliseDn } from './ldap-values';

describe('LDAP filter building', () => {
  it('escapes the RFC 4515 specials, NUL and non-ASCII bytes', () => {
    expect(escapeFilterValue('a*b(c)d\\e\0f')).toBe('a\\2ab\\28c\\29d\\5ce\\00f');
    expect(escapeFilterValue('Zoë')).toBe('Zo\\c3\\ab');
    expect(escapeFilterValue(Buffer.from([0x01, 0x41, 0xff]))).toBe('\\01A\\ff');
  });

  it('keeps a hostile value inside its assertion', () => {
    const filter = andFilter('(objectClass=person)', equalityFilter('memberOf', 'cn=x)(|(uid=*))'));
    const parsed = FilterParser.parseString(filter);
    // Still one AND of two assertions: the value did not open a new clause.
    expect(filter).toBe('(&(objectClass=person)(memberOf=cn=x\\29\\28|\\28uid=\\2a\\29\\29))');
    expect((parsed as unknown as { filters: unknown[] }).filters).toHaveLength(2);
  });

  it('refuses an attribute name that is not one', () => {
    expect(() => equalityFilter('uid)(x', 'a')).toThrow(ConnectorError);
  });

  it('checks admin filters and wraps bare ones', () => {
    expect(checkAdminFilter('objectClass=inetOrgPerson', 'user')).toBe('(objectClass=inetOrgPerson)');
    expect(checkAdminFilter(undefined, 'user')).toBe('(objectClass=*)');
    expect(() => checkAdminFilter('(&(objectClass=x)', 'user')).toThrow(
      /user filter is not a valid LDAP filter/,
    );
  });

  it('writes GeneralizedTime at second precision', () => {
    expect(toGeneralizedTime(new Date('2024-01-02T03:04:05.678Z'))).toBe('20240102030405Z');
  });
});

describe('LDAP values', () => {
  it('formats objectGUID in Microsoft byte order', () => {
    const bytes = Buffer.from('a1b2c3d4e5f60718293a4b5c6d7e8f90', 'hex');
    expect(formatGuid(bytes)).toBe('d4c3b2a1-f6e5-1807-293a-4b5c6d7e8f90');
  });

  it.each([
    [
      'CN=Philip J. Fry, OU=People,DC=PlanetExpress,DC=com',
      'cn=philip j. fry,ou=people,dc=planetexpress,dc=com',
    ],
    ['sn=Kroker+cn=Amy Wong,ou=people,dc=x', 'cn=amy wong+sn=kroker,ou=people,dc=x'],
    ['cn=Doe\\, John,dc=x', 'cn=doe\\, john,dc=x'],
    ['cn=Doe\\2C John,dc=x', 'cn=doe\\, john,dc=x'],
    ['cn="Doe, John",dc=x', 'cn=doe\\, john,dc=x'],
    ['cn=Zo\\C3\\AB,dc=x', 'cn=zoë,dc=x'],
  ])('normalises %s', (input, expected) => {
    expect(normaliseDn(input)).toBe(expected);
  });
});
