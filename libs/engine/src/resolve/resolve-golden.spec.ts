import fc from 'fast-check';
import {
  at,
  contribution,
  ENT,
  GROUPS,
  HR,
  LDAP,
  MAIL,
  ME,
  ruleSet,
  T0,
} from '../__fixtures__/engine.fixtures';
import type { Contribution } from '../contribution/contribution.model';
import type { AuthorityRule, DefaultRule } from '../rules/rule.types';
import { resolveGolden } from './golden';

const now = at(60);
const golden = (contributions: Contribution[], rules: AuthorityRule[], defaultRule?: DefaultRule) =>
  resolveGolden({ contributions, rules: ruleSet(rules, defaultRule), now });

describe('policies', () => {
  const hr = (title: unknown, assertedAt = T0) =>
    contribution(HR, { userName: 'fry', title }, { assertedAt });
  const ldap = (title: unknown, assertedAt = T0) =>
    contribution(LDAP, { userName: 'fry', title }, { assertedAt });

  it.each<[string, AuthorityRule, Contribution[], unknown, string[]]>([
    [
      'priority: first listed source wins',
      { path: 'title', policy: 'priority', sources: [HR, LDAP] },
      [hr('Delivery Boy'), ldap('Captain')],
      'Delivery Boy',
      [HR],
    ],
    [
      'priority: order of the list, not of input',
      { path: 'title', policy: 'priority', sources: [LDAP, HR] },
      [hr('Delivery Boy'), ldap('Captain')],
      'Captain',
      [LDAP],
    ],
    [
      'priority: falls back when the first has none',
      { path: 'title', policy: 'priority', sources: [HR, LDAP] },
      [hr(undefined), ldap('Captain')],
      'Captain',
      [LDAP],
    ],
    [
      'priority: null is empty',
      { path: 'title', policy: 'priority', sources: [HR, LDAP] },
      [hr(null), ldap('Captain')],
      'Captain',
      [LDAP],
    ],
    [
      "priority: '' is empty",
      { path: 'title', policy: 'priority', sources: [HR, LDAP] },
      [hr(''), ldap('Captain')],
      'Captain',
      [LDAP],
    ],
    [
      'priority: unlisted source ignored',
      { path: 'title', policy: 'priority', sources: [HR] },
      [hr(null), ldap('Captain')],
      undefined,
      [],
    ],
    [
      'priority: "*" ranks unlisted sources last',
      { path: 'title', policy: 'priority', sources: [HR, '*'] },
      [hr(null), ldap('Captain')],
      'Captain',
      [LDAP],
    ],
    [
      'exclusive: the one source wins',
      { path: 'title', policy: 'exclusive', sources: [LDAP] },
      [hr('Delivery Boy'), ldap('Captain')],
      'Captain',
      [LDAP],
    ],
    [
      'exclusive: its absence clears, no fallback',
      { path: 'title', policy: 'exclusive', sources: [HR] },
      [hr(null), ldap('Captain')],
      undefined,
      [],
    ],
    [
      'exclusive: source missing entirely clears',
      { path: 'title', policy: 'exclusive', sources: [MAIL] },
      [hr('Delivery Boy'), ldap('Captain')],
      undefined,
      [],
    ],
    [
      'newest: latest assertion wins',
      { path: 'title', policy: 'newest', sources: [HR, LDAP] },
      [hr('Delivery Boy', at(1)), ldap('Captain', at(2))],
      'Captain',
      [LDAP],
    ],
    [
      'newest: latest assertion wins whatever the order',
      { path: 'title', policy: 'newest', sources: [LDAP, HR] },
      [hr('Delivery Boy', at(3)), ldap('Captain', at(2))],
      'Delivery Boy',
      [HR],
    ],
    [
      'newest: tie broken by source order',
      { path: 'title', policy: 'newest', sources: [LDAP, HR] },
      [hr('Delivery Boy', at(1)), ldap('Captain', at(1))],
      'Captain',
      [LDAP],
    ],
    [
      'newest: empty values do not win',
      { path: 'title', policy: 'newest', sources: [HR, LDAP] },
      [hr('Delivery Boy', at(1)), ldap(null, at(5))],
      'Delivery Boy',
      [HR],
    ],
  ])('%s', (_name, rule, contributions, value, sources) => {
    const { resource, provenance } = golden(contributions, [rule]);
    expect(resource['title']).toEqual(value);
    const entry = provenance.find((p) => p.path === 'title');
    if (value === undefined) expect(entry).toBeUndefined();
    else expect(entry).toMatchObject({ policy: rule.policy, rule: 'title', sources });
  });

  it('newest: a tie between sources ranked alike by "*" goes to the lower source id', () => {
    const a = contribution('src-a', { title: 'A' }, { assertedAt: at(1) });
    const b = contribution('src-b', { title: 'B' }, { assertedAt: at(1) });
    const rules = ruleSet([{ path: 'title', policy: 'newest', sources: ['*'] }], {
      policy: 'priority',
      sources: ['*'],
    });
    for (const input of [
      [a, b],
      [b, a],
    ]) {
      expect(resolveGolden({ contributions: input, rules, now }).resource['title']).toBe('A');
    }
  });

  it('two contributions of one source: the lower source key wins a tie', () => {
    const one = contribution(LDAP, { title: 'Second' }, { sourceKey: 'uid=b' });
    const two = contribution(LDAP, { title: 'First' }, { sourceKey: 'uid=a' });
    expect(
      golden([one, two], [{ path: 'title', policy: 'priority', sources: [LDAP] }]).resource['title'],
    ).toBe('First');
  });

  it('deleted contributions take no part', () => {
    const gone = contribution(HR, { title: 'Delivery Boy' }, { deletedAt: at(1) });
    expect(
      golden([gone, ldap('Captain')], [{ path: 'title', policy: 'priority', sources: [HR, LDAP] }]).resource[
        'title'
      ],
    ).toBe('Captain');
  });

  it('the default rule covers unruled paths; a union default merges multi-valued ones only', () => {
    const a = contribution(HR, { displayName: 'Fry', roles: [{ value: 'crew' }] });
    const b = contribution(LDAP, {
      displayName: 'Philip J. Fry',
      roles: [{ value: 'Crew' }, { value: 'pilot' }],
    });
    const { resource, provenance } = golden([a, b], [], { policy: 'union', sources: [LDAP, HR] });
    expect(resource['displayName']).toBe('Philip J. Fry');
    expect(resource['roles']).toEqual([{ value: 'Crew' }, { value: 'pilot' }]);
    expect(provenance.find((p) => p.path === 'displayName')).toMatchObject({
      policy: 'priority',
      rule: '(default)',
    });
  });
});

describe('typed elements and sub-attributes', () => {
  it('each type is its own path: HR owns work phone, /Me owns mobile', () => {
    const hr = contribution(HR, {
      phoneNumbers: [
        { value: '+1 555 0100', type: 'work' },
        { value: '+1 555 0199', type: 'mobile' },
      ],
    });
    const me = contribution(ME, {
      phoneNumbers: [
        { value: '+1 555 0142', type: 'mobile' },
        { value: '+1 555 0000', type: 'work' },
      ],
    });
    const { resource, provenance } = golden(
      [me, hr],
      [
        { path: 'phoneNumbers[type eq "work"]', policy: 'exclusive', sources: [HR] },
        { path: 'phoneNumbers[type eq "mobile"]', policy: 'priority', sources: [ME, HR] },
      ],
    );
    expect(resource['phoneNumbers']).toEqual([
      { value: '+1 555 0100', type: 'work' },
      { value: '+1 555 0142', type: 'mobile' },
    ]);
    expect(
      provenance.filter((p) => p.path.startsWith('phoneNumbers')).map((p) => [p.path, p.sources]),
    ).toEqual([
      ['phoneNumbers[type eq "mobile"]', [ME]],
      ['phoneNumbers[type eq "work"]', [HR]],
    ]);
  });

  it('a rule on a sub-attribute splits the complex attribute; siblings follow the parent or default rule', () => {
    const hr = contribution(HR, { name: { givenName: 'Philip', familyName: 'Fry' } });
    const ldap = contribution(LDAP, { name: { givenName: 'Phil', familyName: 'Fry', middleName: 'J.' } });
    const { resource, provenance } = golden(
      [hr, ldap],
      [{ path: 'name.givenName', policy: 'priority', sources: [LDAP, HR] }],
    );
    expect(resource['name']).toEqual({ familyName: 'Fry', givenName: 'Phil', middleName: 'J.' });
    expect(
      provenance.filter((p) => p.path.startsWith('name')).map((p) => [p.path, p.rule, p.sources[0]]),
    ).toEqual([
      ['name.familyName', '(default)', HR],
      ['name.givenName', 'name.givenName', LDAP],
      ['name.middleName', '(default)', LDAP],
    ]);
  });

  it('without a sub-rule a complex attribute is one unit: the winner gives all of it', () => {
    const hr = contribution(HR, { name: { givenName: 'Philip', familyName: 'Fry' } });
    const ldap = contribution(LDAP, { name: { givenName: 'Phil', familyName: 'Fry', middleName: 'J.' } });
    expect(golden([hr, ldap], []).resource['name']).toEqual({ givenName: 'Philip', familyName: 'Fry' });
  });

  it('extension attributes resolve by URN; a rule on the extension covers all of it', () => {
    const hr = contribution(HR, { [ENT]: { department: 'Delivery', employeeNumber: '42' } });
    const ldap = contribution(LDAP, { [ENT]: { department: 'Crew', costCenter: 'CC1' } });
    const { resource } = golden(
      [hr, ldap],
      [
        { path: ENT, policy: 'priority', sources: [LDAP, HR] },
        { path: `${ENT}:employeeNumber`, policy: 'exclusive', sources: [HR] },
      ],
    );
    expect(resource[ENT]).toEqual({ employeeNumber: '42', costCenter: 'CC1', department: 'Crew' });
    expect(resource['schemas']).toEqual(['urn:ietf:params:scim:schemas:core:2.0:User', ENT]);
  });
});

describe('union', () => {
  it('merges, de-duplicates emails by case-insensitive value and type, keeps exactly one primary', () => {
    const hr = contribution(HR, {
      emails: [
        { value: 'Fry@PlanetExpress.com', type: 'work', primary: true },
        { value: 'fry@home.example', type: 'home' },
      ],
    });
    const ldap = contribution(LDAP, {
      emails: [
        { value: 'fry@planetexpress.com', type: 'work', display: 'Fry' },
        { value: 'pjf@planetexpress.com', type: 'work', primary: true },
      ],
    });
    const { resource, provenance } = golden(
      [ldap, hr],
      [{ path: 'emails', policy: 'union', sources: [HR, LDAP] }],
    );
    expect(resource['emails']).toEqual([
      { value: 'Fry@PlanetExpress.com', type: 'work', primary: true },
      { value: 'pjf@planetexpress.com', type: 'work' },
      { value: 'fry@home.example', type: 'home' },
    ]);
    expect(provenance.find((p) => p.path === 'emails[type eq "work"]')!.sources).toEqual([HR, LDAP]);
  });

  it('the same value with different types is two elements', () => {
    const hr = contribution(HR, { emails: [{ value: 'fry@x', type: 'work' }] });
    const ldap = contribution(LDAP, { emails: [{ value: 'FRY@x', type: 'home' }] });
    expect(
      golden([hr, ldap], [{ path: 'emails', policy: 'union', sources: [HR, LDAP] }]).resource['emails'],
    ).toHaveLength(2);
  });

  it('primary moves to the highest-ranked source that marks one', () => {
    const hr = contribution(HR, {
      emails: [
        { value: 'a@x', type: 'work' },
        { value: 'b@x', type: 'work' },
      ],
    });
    const ldap = contribution(LDAP, { emails: [{ value: 'b@x', type: 'work', primary: true }] });
    expect(
      golden([hr, ldap], [{ path: 'emails', policy: 'union', sources: [HR, LDAP] }]).resource['emails'],
    ).toEqual([
      { value: 'a@x', type: 'work' },
      { value: 'b@x', type: 'work', primary: true },
    ]);
  });

  it('group membership follows its own rule: members merged from both directories', () => {
    const rules = ruleSet(
      [{ path: 'members', policy: 'union', sources: [HR, LDAP] }],
      { policy: 'priority', sources: [HR, LDAP] },
      undefined,
      GROUPS,
    );
    const hr = contribution(
      HR,
      {
        displayName: 'ship_crew',
        members: [
          { value: 'u-fry', type: 'User' },
          { value: 'u-leela', type: 'User' },
        ],
      },
      { resourceType: 'Group' },
    );
    const ldap = contribution(
      LDAP,
      {
        displayName: 'Ship Crew',
        members: [
          { value: 'U-FRY', type: 'User' },
          { value: 'u-bender', type: 'User' },
        ],
      },
      { resourceType: 'Group' },
    );
    const { resource } = resolveGolden({ contributions: [ldap, hr], rules, now });
    expect(resource['displayName']).toBe('ship_crew');
    expect((resource['members'] as { value: string }[]).map((m) => m.value)).toEqual([
      'u-fry',
      'u-leela',
      'u-bender',
    ]);
  });
});

describe('provenance over time', () => {
  const rules = ruleSet([{ path: 'title', policy: 'priority', sources: [HR, LDAP] }]);

  it('keeps since while the value stays, records the previous value when it changes', () => {
    const first = resolveGolden({
      contributions: [contribution(HR, { title: 'Delivery Boy' })],
      rules,
      now: at(1),
    });
    // LDAP joins saying the same; HR stops saying it: the value is unchanged, only the source moved.
    const second = resolveGolden({
      contributions: [contribution(LDAP, { title: 'Delivery Boy' })],
      rules,
      now: at(2),
      previous: first,
    });
    expect(second.provenance[0]).toMatchObject({ path: 'title', sources: [LDAP], since: at(1) });
    expect(second.provenance[0]!.previousValue).toBeUndefined();
    const third = resolveGolden({
      contributions: [contribution(LDAP, { title: 'Captain' })],
      rules,
      now: at(3),
      previous: second,
    });
    expect(third.provenance[0]).toMatchObject({ since: at(3), previousValue: 'Delivery Boy' });
    const fourth = resolveGolden({
      contributions: [contribution(LDAP, { title: 'Captain' })],
      rules,
      now: at(4),
      previous: third,
    });
    expect(fourth.provenance).toEqual(third.provenance);
  });
});

describe('properties', () => {
  const sources = [HR, LDAP, MAIL, ME];
  const value = fc.constantFrom(undefined, null, '', 'Fry', 'fry', 'Leela', 'Bender');
  const email = fc.record({
    value: fc.constantFrom('a@x', 'A@X', 'b@x', 'c@x'),
    type: fc.constantFrom('work', 'home', 'WORK', undefined),
    primary: fc.constantFrom(true, undefined),
  });
  const contributionArb = fc.record({
    sourceId: fc.constantFrom(...sources),
    sourceKey: fc.constantFrom('k1', 'k2'),
    minutes: fc.integer({ min: 0, max: 3 }),
    title: value,
    displayName: value,
    givenName: value,
    emails: fc.array(email, { maxLength: 3 }),
    mobile: fc.option(fc.constantFrom('+1 555 0100', '+1 555 0142'), { nil: undefined }),
  });
  const contributions = fc
    .uniqueArray(contributionArb, { selector: (c) => `${c.sourceId}/${c.sourceKey}`, maxLength: 5 })
    .map((list) =>
      list.map((c) =>
        contribution(
          c.sourceId,
          {
            title: c.title,
            displayName: c.displayName,
            name: { givenName: c.givenName },
            // At most one primary per contribution, as validation demands.
            emails: c.emails.map((e, i) => (i === 0 ? e : { ...e, primary: undefined })),
            ...(c.mobile ? { phoneNumbers: [{ value: c.mobile, type: 'mobile' }] } : {}),
          },
          { sourceKey: c.sourceKey, assertedAt: at(c.minutes) },
        ),
      ),
    );
  const rules = ruleSet(
    [
      { path: 'title', policy: 'newest', sources: [LDAP, HR] },
      { path: 'displayName', policy: 'priority', sources: [HR, '*'] },
      { path: 'name.givenName', policy: 'exclusive', sources: [HR] },
      { path: 'emails', policy: 'union', sources: [HR, LDAP, MAIL] },
      { path: 'emails[type eq "work"]', policy: 'priority', sources: [MAIL, HR] },
      { path: 'phoneNumbers[type eq "mobile"]', policy: 'priority', sources: [ME, HR] },
    ],
    { policy: 'newest', sources: ['*'] },
  );

  it('shuffling contributions gives the same golden record and provenance', () => {
    fc.assert(
      fc.property(
        contributions.chain((list) =>
          fc.tuple(
            fc.constant(list),
            fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length }),
          ),
        ),
        ([list, shuffled]) => {
          const a = resolveGolden({ contributions: list, rules, now });
          const b = resolveGolden({ contributions: shuffled, rules, now });
          expect(b.resource).toEqual(a.resource);
          expect(b.provenance).toEqual(a.provenance);
        },
      ),
    );
  });

  it('resolving again with unchanged contributions changes nothing, not even provenance', () => {
    fc.assert(
      fc.property(contributions, (list) => {
        const first = resolveGolden({ contributions: list, rules, now: at(10) });
        const second = resolveGolden({ contributions: list, rules, now: at(20), previous: first });
        expect(second.resource).toEqual(first.resource);
        expect(second.provenance).toEqual(first.provenance);
      }),
    );
  });

  it('never more than one primary email and no duplicate email per type', () => {
    fc.assert(
      fc.property(contributions, (list) => {
        const emails = (resolveGolden({ contributions: list, rules, now }).resource['emails'] ?? []) as {
          value: string;
          type?: string;
          primary?: boolean;
        }[];
        expect(emails.filter((e) => e.primary === true).length).toBeLessThanOrEqual(1);
        const keys = emails.map((e) => `${e.value.toLowerCase()}|${(e.type ?? '').toLowerCase()}`);
        expect(new Set(keys).size).toBe(keys.length);
      }),
    );
  });
});
