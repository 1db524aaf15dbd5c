import fc from 'fast-check';
import { normaliseDn, normaliseParsedDn } from './ldap-values';

describe('normaliseDn', () => {
  it('property: the fast path for plain DNs spells every DN as the full RFC 4514 parse does', () => {
    // Mostly plain pieces (the fast path), some with every character the full parse treats specially.
    const piece = fc.oneof(
      { weight: 4, arbitrary: fc.stringMatching(/^[a-zA-Z0-9 =.\-_Äé]{0,12}$/) },
      { weight: 1, arbitrary: fc.stringMatching(/^[a-zA-Z0-9 =,+;"\\#<>.\-_\tÄé]{0,12}$/) },
    );
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 5 }), (parts) => {
        const dn = parts.join(',');
        expect(normaliseDn(dn)).toBe(normaliseParsedDn(dn));
      }),
      { numRuns: 20_000 },
    );
  });

  it('plain DNs in every usual spelling come out the same', () => {
    const want = 'uid=fry,ou=people,dc=planetexpress,dc=com';
    for (const dn of [
      'uid=fry,ou=people,dc=planetexpress,dc=com',
      'UID=Fry, OU=People, DC=PlanetExpress, DC=com',
      ' uid = fry ,ou=people , dc=planetexpress,dc=com ',
    ])
      expect(normaliseDn(dn)).toBe(want);
  });
});
