import { contribution, ENT, GROUPS, HR, USERS } from '../__fixtures__/engine.fixtures';
import { RuleValidationError } from '../engine.errors';
import { compileMatchRules, correlate, matchKeys, normaliseValue, resolveCase } from './correlation';

const rules = compileMatchRules(
  [
    { kind: 'link' },
    { kind: 'attribute', path: `${ENT}:employeeNumber`, normalise: [] },
    { kind: 'attribute', path: 'userName' },
    { kind: 'attribute', path: 'emails[type eq "work"].value' },
  ],
  USERS,
);

describe('matchKeys', () => {
  it('normalises: userName and work email lower-cased and trimmed, employeeNumber exact', () => {
    const c = contribution(HR, {
      userName: '  Fry ',
      emails: [
        { value: 'Fry@PlanetExpress.com', type: 'Work' },
        { value: 'fry@home.example', type: 'home' },
      ],
      [ENT]: { employeeNumber: 'E-3000' },
    });
    expect(matchKeys(c, rules, USERS).map((k) => (k.kind === 'attribute' ? k.values : k.sourceKey))).toEqual([
      'src-hr:fry',
      ['E-3000'],
      ['fry'],
      ['fry@planetexpress.com'],
    ]);
  });

  it('gives empty keys for missing values, so the rule is skipped', () => {
    const keys = matchKeys(contribution(HR, { userName: 'fry' }), rules, USERS);
    expect(keys[1]).toEqual({ rule: 1, kind: 'attribute', path: `${ENT}:employeeNumber`, values: [] });
  });

  it('applies configured normalisers', () => {
    expect(normaliseValue(' Zoë  O’Brien ', ['trim', 'asciiFold', 'lowercase', 'collapseSpaces'])).toBe(
      'zoe o’brien',
    );
    expect(normaliseValue('+1 (555) 0100', ['digits'])).toBe('15550100');
    expect(normaliseValue(42, [])).toBe('42');
    expect(normaliseValue({}, [])).toBeUndefined();
  });

  it('refuses rules that cannot match precisely', () => {
    expect(() => compileMatchRules([{ kind: 'attribute', path: 'emails' }], USERS)).toThrow(
      'matchRules[0].path: "emails" must name a simple value, e.g. emails[type eq "work"].value',
    );
    expect(() => compileMatchRules([{ kind: 'attribute', path: 'userNam' }], USERS)).toThrow(
      RuleValidationError,
    );
    expect(() =>
      compileMatchRules([{ kind: 'attribute', path: 'userName', normalise: ['soundex'] }], USERS),
    ).toThrow('matchRules[0].normalise');
    expect(() => compileMatchRules([{ kind: 'attribute', path: 'displayName' }], GROUPS)).not.toThrow();
  });
});

describe('correlate', () => {
  const keys = matchKeys(
    contribution(HR, {
      userName: 'fry',
      emails: [{ value: 'fry@x', type: 'work' }],
      [ENT]: { employeeNumber: '3000' },
    }),
    rules,
    USERS,
  );

  it.each<[string, (string[] | undefined)[], boolean, unknown]>([
    [
      'exactly one candidate joins',
      [[], ['u1'], [], []],
      false,
      { outcome: 'join', resourceId: 'u1', rule: 1 },
    ],
    [
      'the existing link comes first',
      [['u9'], ['u1'], [], []],
      false,
      { outcome: 'join', resourceId: 'u9', rule: 0 },
    ],
    [
      'duplicates of one candidate are one candidate',
      [[], ['u1', 'u1'], [], []],
      false,
      { outcome: 'join', resourceId: 'u1', rule: 1 },
    ],
    [
      'the first rule that finds anything decides',
      [[], [], ['u2'], ['u3']],
      false,
      { outcome: 'join', resourceId: 'u2', rule: 2 },
    ],
    [
      'several candidates open a case, never a guess',
      [[], [], ['u3', 'u2'], ['u2']],
      true,
      { outcome: 'case', candidates: ['u2', 'u3'], rule: 2 },
    ],
    ['none, and the source may create: create', [[], [], [], []], true, { outcome: 'create' }],
    [
      'none, and the source may not create: park',
      [undefined, [], [], []],
      false,
      { outcome: 'park', reason: 'no golden record matches and the source may not create one' },
    ],
  ])('%s', (_name, candidates, mayCreate, expected) => {
    expect(correlate(keys, candidates, { mayCreate })).toEqual(expected);
  });

  it('skips rules the contribution has no value for, even if a lookup answered', () => {
    const sparse = matchKeys(contribution(HR, { userName: 'fry' }), rules, USERS);
    expect(correlate(sparse, [[], ['u1', 'u2'], ['u3'], []], { mayCreate: false })).toEqual({
      outcome: 'join',
      resourceId: 'u3',
      rule: 2,
    });
  });

  it('an admin resolves a case: link, create or ignore', () => {
    expect(resolveCase({ action: 'link', resourceId: 'u2' })).toEqual({ outcome: 'join', resourceId: 'u2' });
    expect(resolveCase({ action: 'create' })).toEqual({ outcome: 'create' });
    expect(resolveCase({ action: 'ignore' })).toEqual({ outcome: 'ignore' });
  });
});
