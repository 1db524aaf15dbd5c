import { ALL_SOURCES, ENT, GROUPS, HR, LDAP, MAIL, ruleSet, USERS } from '../__fixtures__/engine.fixtures';
import { RuleValidationError } from '../engine.errors';
import { compileRules, validateRules } from './rule.compiler';

const base = { resourceType: 'User', defaultRule: { policy: 'priority', sources: [HR, LDAP] } };

describe('validateRules', () => {
  it.each<[string, unknown, string]>([
    [
      'unknown sub-attribute of typed elements',
      {
        ...base,
        rules: [
          { path: 'title', policy: 'priority', sources: [HR] },
          { path: 'displayName', policy: 'priority', sources: [HR] },
          { path: 'emails[type eq "work"].valu', policy: 'priority', sources: [HR] },
        ],
      },
      'rules[2].path: unknown attribute "emails[type eq \\"work\\"].valu" in User',
    ],
    [
      'unknown source',
      { ...base, rules: [{ path: 'title', policy: 'priority', sources: [HR, 'ldap2'] }] },
      'rules[0].sources[1]: unknown source "ldap2"',
    ],
    [
      'unknown policy',
      { ...base, rules: [{ path: 'title', policy: 'prio', sources: [HR] }] },
      'rules[0].policy: unknown policy "prio"; expected priority, exclusive, newest or union',
    ],
    [
      'exclusive with two sources',
      { ...base, rules: [{ path: 'title', policy: 'exclusive', sources: [HR, LDAP] }] },
      'rules[0].sources: exclusive takes exactly one source, got 2',
    ],
    [
      'exclusive with any source',
      { ...base, rules: [{ path: 'title', policy: 'exclusive', sources: ['*'] }] },
      'rules[0].sources[0]: "*" (any source) cannot be exclusive',
    ],
    [
      'union on a single value',
      { ...base, rules: [{ path: 'displayName', policy: 'union', sources: [HR] }] },
      'rules[0].policy: union merges multi-valued attributes; "displayName" holds a single value',
    ],
    [
      'union on a typed sub-attribute',
      { ...base, rules: [{ path: 'emails[type eq "work"].value', policy: 'union', sources: [HR] }] },
      'rules[0].policy: union merges multi-valued attributes',
    ],
    [
      'duplicate path in other spelling',
      {
        ...base,
        rules: [
          { path: 'name.givenName', policy: 'priority', sources: [HR] },
          { path: 'NAME.givenname', policy: 'newest', sources: [HR] },
        ],
      },
      'rules[1].path: "name.givenName" already has a rule (rules[0])',
    ],
    [
      'no sources',
      { ...base, rules: [{ path: 'title', policy: 'priority', sources: [] }] },
      'rules[0].sources: must list at least one source',
    ],
    [
      'source twice',
      { ...base, rules: [{ path: 'title', policy: 'priority', sources: [HR, HR] }] },
      'rules[0].sources[1]: "src-hr" is listed twice',
    ],
    [
      'hub-managed attribute',
      { ...base, rules: [{ path: 'meta', policy: 'priority', sources: [HR] }] },
      'rules[0].path: "meta" is maintained by the hub',
    ],
    [
      'bad default',
      { resourceType: 'User', rules: [], defaultRule: { policy: 'priority', sources: ['nobody'] } },
      'defaultRule.sources[0]: unknown source "nobody"',
    ],
    [
      'wrong resource type',
      { ...base, resourceType: 'Group', rules: [] },
      'resourceType: must be "User", got "Group"',
    ],
    ['rules not an array', { ...base, rules: {} }, 'rules: must be an array'],
    [
      'bad transform expression',
      { ...base, rules: [], transforms: [{ path: 'displayName', expression: '$eval("1")' }] },
      'transforms[0].expression: position 6: $eval cannot be called in a transform',
    ],
    [
      'transform on unknown path',
      { ...base, rules: [], transforms: [{ path: 'displayNam', expression: '"x"' }] },
      'transforms[0].path: unknown attribute "displayNam" in User',
    ],
    [
      'transform with a syntax error',
      { ...base, rules: [], transforms: [{ path: 'displayName', expression: 'name.(' }] },
      'transforms[0].expression: position',
    ],
  ])('%s', (_name, input, message) => {
    const { errors } = validateRules(input, USERS, ALL_SOURCES);
    expect(errors.map((e) => `${e.at}: ${e.message}`).join('\n')).toContain(message);
  });

  it('accepts typed elements, sub-attributes, extension URNs, a target as source and "*"', () => {
    const { errors, warnings } = validateRules(
      {
        ...base,
        rules: [
          { path: 'emails[type eq "work"]', policy: 'exclusive', sources: [MAIL] },
          { path: 'phoneNumbers[type eq "mobile"].value', policy: 'priority', sources: ['src-me', HR] },
          { path: 'name.familyName', policy: 'newest', sources: [HR, LDAP] },
          { path: 'emails', policy: 'union', sources: [HR, '*'] },
          { path: ENT, policy: 'priority', sources: [HR] },
          { path: 'emails[type eq "wrok"]', policy: 'priority', sources: [HR] },
        ],
      },
      USERS,
      ALL_SOURCES,
    );
    expect(errors).toEqual([]);
    expect(warnings).toEqual([
      { at: 'rules[5].path', message: 'type "wrok" is not one of "work", "home", "other"' },
    ]);
  });

  it('compileRules throws one error listing every issue', () => {
    const bad = {
      ...base,
      rules: [
        { path: 'x', policy: 'priority', sources: [HR] },
        { path: 'title', policy: 'newest', sources: ['y'] },
      ],
    };
    expect(() => compileRules(bad as never, USERS, { knownSourceIds: ALL_SOURCES })).toThrow(
      RuleValidationError,
    );
    try {
      compileRules(bad as never, USERS, { knownSourceIds: ALL_SOURCES });
    } catch (err) {
      expect((err as RuleValidationError).issues).toHaveLength(2);
      expect((err as Error).message).toBe(
        'rules[0].path: unknown attribute "x" in User; rules[1].sources[0]: unknown source "y"',
      );
    }
  });

  it('finds the most specific rule for a unit', () => {
    const rules = ruleSet([
      { path: 'emails', policy: 'union', sources: [HR, LDAP] },
      { path: 'emails[type eq "work"]', policy: 'exclusive', sources: [MAIL] },
      { path: ENT, policy: 'priority', sources: [LDAP] },
    ]);
    const unit = (key: string) =>
      rules.index
        .decompose(
          key.startsWith('urn') ? { [ENT]: { department: 'x' } } : { emails: [{ value: 'a', type: key }] },
        )
        .units.values()
        .next().value!.unit;
    expect(rules.ruleFor(unit('work')).key).toBe('emails[type eq "work"]');
    expect(rules.ruleFor(unit('home')).key).toBe('emails');
    expect(rules.ruleFor(unit('urn')).key).toBe(ENT);
    expect(rules.ruleFor(rules.index.decompose({ title: 'x' }).units.get('title')!.unit).key).toBe(
      '(default)',
    );
  });

  it('validates Group rules against the Group schema', () => {
    const { errors } = validateRules(
      {
        resourceType: 'Group',
        rules: [
          { path: 'members', policy: 'union', sources: [HR, LDAP] },
          { path: 'userName', policy: 'priority', sources: [HR] },
        ],
        defaultRule: { policy: 'priority', sources: [HR] },
      },
      GROUPS,
      ALL_SOURCES,
    );
    expect(errors).toEqual([{ at: 'rules[1].path', message: 'unknown attribute "userName" in Group' }]);
  });
});
