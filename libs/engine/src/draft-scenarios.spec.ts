/**
 * The draft's multi-source scenarios end to end through the pure engine: HR (SCIM client, RC)
 * creates Fry; LDAP (non-SCIM, ERC) joins by employeeNumber; the mail SaaS, a downstream target,
 * mints and owns the work email (later draft §4.2.6); Fry owns his mobile number through `/Me`.
 */
import {
  contribution,
  ENT,
  HR,
  LDAP,
  MAIL,
  ME,
  ruleSet,
  SOURCE_NAMES,
  USERS,
  at,
} from './__fixtures__/engine.fixtures';
import type { Contribution } from './contribution/contribution.model';
import { compileMatchRules, correlate, matchKeys } from './correlation/correlation';
import { explain } from './provenance/explain';
import { resolveGolden, type GoldenResult } from './resolve/golden';

const rules = ruleSet(
  [
    { path: 'title', policy: 'priority', sources: [HR, LDAP] },
    { path: 'name.familyName', policy: 'priority', sources: [HR, LDAP] },
    { path: `${ENT}:department`, policy: 'exclusive', sources: [HR] },
    { path: 'emails[type eq "work"]', policy: 'priority', sources: [MAIL, LDAP] },
    { path: 'phoneNumbers[type eq "mobile"]', policy: 'priority', sources: [ME, HR] },
  ],
  { policy: 'priority', sources: [HR, LDAP] },
);
const matchRules = compileMatchRules(
  [
    { kind: 'link' },
    { kind: 'attribute', path: `${ENT}:employeeNumber`, normalise: [] },
    { kind: 'attribute', path: 'userName' },
  ],
  USERS,
);

const hrFry = contribution(
  HR,
  {
    userName: 'Fry',
    name: { givenName: 'Philip', familyName: 'Fry' },
    title: 'Delivery Boy',
    phoneNumbers: [{ value: '+1 555 0100', type: 'work' }],
    [ENT]: { employeeNumber: '3000', department: 'Delivery' },
  },
  { sourceKey: 'hr-3000', assertedAt: at(0) },
);
const ldapFry = contribution(
  LDAP,
  {
    userName: 'fry',
    name: { givenName: 'Philip', familyName: 'Fyr' },
    title: 'Intern',
    emails: [{ value: 'fry@planetexpress.com', type: 'work' }],
    phoneNumbers: [{ value: '+1 555 0111', type: 'mobile' }],
    [ENT]: { employeeNumber: '3000', department: 'Crew' },
  },
  { sourceKey: 'cn=Philip J. Fry,ou=people,dc=planetexpress,dc=com', assertedAt: at(5) },
);
const mailFry = contribution(
  MAIL,
  { emails: [{ value: 'philip.fry@mail.planetexpress.com', type: 'work', primary: true }] },
  { sourceKey: 'mailbox-77', assertedAt: at(10) },
);
const meFry = contribution(
  ME,
  { phoneNumbers: [{ value: '+1 555 0142', type: 'mobile' }] },
  { sourceKey: 'me', assertedAt: at(15) },
);

describe('draft scenarios: HR (RC) + LDAP (ERC) + mail SaaS owning the work email + /Me owning the mobile', () => {
  let previous: GoldenResult | undefined;
  const step = (contributions: Contribution[], minute: number) =>
    (previous = resolveGolden({ contributions, rules, now: at(minute), ...(previous ? { previous } : {}) }));
  const sentence = (g: GoldenResult, contributions: Contribution[], path: string) =>
    explain({
      resourceId: 'u-fry',
      resource: g.resource,
      provenance: g.provenance,
      contributions,
      rules,
      sourceNames: SOURCE_NAMES,
      paths: [path],
    }).attributes[0]!.sentence;

  it('1. HR (RC) creates Fry: no match, the source may create', () => {
    const keys = matchKeys(hrFry, matchRules, USERS);
    expect(keys).toEqual([
      { rule: 0, kind: 'link', sourceId: HR, sourceKey: 'hr-3000' },
      { rule: 1, kind: 'attribute', path: `${ENT}:employeeNumber`, values: ['3000'] },
      { rule: 2, kind: 'attribute', path: 'userName', values: ['fry'] },
    ]);
    expect(correlate(keys, [[], [], []], { mayCreate: true })).toEqual({ outcome: 'create' });
    const g = step([hrFry], 0);
    expect(g.resource).toEqual({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENT],
      userName: 'Fry',
      name: { familyName: 'Fry', givenName: 'Philip' },
      title: 'Delivery Boy',
      phoneNumbers: [{ value: '+1 555 0100', type: 'work' }],
      [ENT]: { employeeNumber: '3000', department: 'Delivery' },
    });
  });

  it('2. LDAP (ERC) joins by employeeNumber; HR keeps title, name and department; LDAP gives the work email', () => {
    const keys = matchKeys(ldapFry, matchRules, USERS);
    // The employeeNumber rule finds Fry; userName (case-insensitive) would too, but the first finding rule decides.
    expect(correlate(keys, [[], ['u-fry'], ['u-fry']], { mayCreate: false })).toEqual({
      outcome: 'join',
      resourceId: 'u-fry',
      rule: 1,
    });
    const g = step([hrFry, ldapFry], 5);
    expect(g.resource['title']).toBe('Delivery Boy');
    expect(g.resource['name']).toEqual({ familyName: 'Fry', givenName: 'Philip' });
    expect((g.resource[ENT] as Record<string, unknown>)['department']).toBe('Delivery');
    expect(g.resource['emails']).toEqual([{ value: 'fry@planetexpress.com', type: 'work' }]);
    // LDAP is not an authority for the mobile number.
    expect(g.resource['phoneNumbers']).toEqual([{ value: '+1 555 0100', type: 'work' }]);
    expect(sentence(g, [hrFry, ldapFry], 'name.familyName')).toBe(
      'name.familyName = "Fry" from HR (priority 1) since 2026-03-01T09:00:00.000Z; LDAP says "Fyr" (priority 2, lower)',
    );
    expect(sentence(g, [hrFry, ldapFry], `${ENT}:department`)).toBe(
      `${ENT}:department = "Delivery" from HR (exclusive) since 2026-03-01T09:00:00.000Z; LDAP says "Crew" (not an authority for this attribute)`,
    );
  });

  it('3. the mail SaaS mints the work email and owns it (draft §4.2.6)', () => {
    expect(
      correlate(matchKeys({ ...mailFry, resourceId: 'u-fry' }, matchRules, USERS), [['u-fry']], {
        mayCreate: false,
      }),
    ).toMatchObject({
      outcome: 'join',
      rule: 0,
    });
    const g = step([hrFry, ldapFry, mailFry], 10);
    expect(g.resource['emails']).toEqual([
      { value: 'philip.fry@mail.planetexpress.com', type: 'work', primary: true },
    ]);
    const entry = g.provenance.find((p) => p.path === 'emails[type eq "work"]')!;
    expect(entry).toMatchObject({
      sources: [MAIL],
      since: at(10),
      previousValue: [{ value: 'fry@planetexpress.com', type: 'work' }],
    });
    expect(sentence(g, [hrFry, ldapFry, mailFry], 'emails[type eq "work"]')).toBe(
      'emails[type eq "work"] = "philip.fry@mail.planetexpress.com" from Mail (priority 1) since 2026-03-01T09:10:00.000Z (previously "fry@planetexpress.com"); LDAP says "fry@planetexpress.com" (priority 2, lower)',
    );
  });

  it('4. Fry sets his mobile through /Me; HR and LDAP cannot override it', () => {
    const g = step([hrFry, ldapFry, mailFry, meFry], 15);
    expect(g.resource['phoneNumbers']).toEqual([
      { value: '+1 555 0100', type: 'work' },
      { value: '+1 555 0142', type: 'mobile' },
    ]);
    expect(sentence(g, [hrFry, ldapFry, mailFry, meFry], 'phoneNumbers[type eq "mobile"]')).toBe(
      'phoneNumbers[type eq "mobile"] = "+1 555 0142" from /Me (priority 1) since 2026-03-01T09:15:00.000Z; LDAP says "+1 555 0111" (not an authority for this attribute)',
    );
    // The work email set in step 3 keeps its date.
    expect(g.provenance.find((p) => p.path === 'emails[type eq "work"]')!.since).toEqual(at(10));
  });

  it('5. HR stops asserting the title: LDAP takes over and the explanation says so', () => {
    const hrWithoutTitle: Contribution = {
      ...hrFry,
      attributes: { ...hrFry.attributes, title: null },
      assertedAt: at(20),
    };
    const all = [hrWithoutTitle, ldapFry, mailFry, meFry];
    const g = step(all, 20);
    expect(g.resource['title']).toBe('Intern');
    expect(g.provenance.find((p) => p.path === 'title')).toMatchObject({
      sources: [LDAP],
      previousValue: 'Delivery Boy',
      since: at(20),
    });
    expect(sentence(g, all, 'title')).toBe(
      'title = "Intern" from LDAP (priority 2) since 2026-03-01T09:20:00.000Z (previously "Delivery Boy")',
    );
    // Everything else is as the rules say.
    expect(g.resource).toEqual({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENT],
      userName: 'Fry',
      name: { familyName: 'Fry', givenName: 'Philip' },
      title: 'Intern',
      emails: [{ value: 'philip.fry@mail.planetexpress.com', type: 'work', primary: true }],
      phoneNumbers: [
        { value: '+1 555 0100', type: 'work' },
        { value: '+1 555 0142', type: 'mobile' },
      ],
      [ENT]: { employeeNumber: '3000', department: 'Delivery' },
    });
  });
});
