import { contribution, ENT, HR, LDAP, ruleSet, T0, USERS } from '../__fixtures__/engine.fixtures';
import { diffGolden, previewRuleChange } from './preview';

describe('diffGolden', () => {
  it('names changed, added and removed attribute paths, sub-attributes apart', () => {
    const before = {
      userName: 'fry',
      name: { givenName: 'Philip', familyName: 'Fry' },
      emails: [{ value: 'a@x', type: 'work' }],
      title: 'Boy',
    };
    const after = {
      userName: 'FRY',
      name: { givenName: 'Philip', familyName: 'Fry', middleName: 'J.' },
      emails: [
        { value: 'a@x', type: 'work' },
        { value: 'h@x', type: 'home' },
      ],
      [ENT]: { department: 'Crew' },
    };
    expect(diffGolden(before, after, USERS)).toEqual(
      [
        { path: 'emails[type eq "home"]', kind: 'added', after: [{ value: 'h@x', type: 'home' }] },
        { path: 'name.middleName', kind: 'added', after: 'J.' },
        { path: 'title', kind: 'removed', before: 'Boy' },
        { path: `${ENT}:department`, kind: 'added', after: 'Crew' },
        { path: 'userName', kind: 'changed', before: 'fry', after: 'FRY' },
      ].sort((a, b) => (a.path < b.path ? -1 : 1)),
    );
    expect(diffGolden(before, { ...before }, USERS)).toEqual([]);
  });
});

describe('previewRuleChange', () => {
  it('counts records and paths that would change, with samples', async () => {
    const records = Array.from({ length: 8 }, (_, i) => ({
      id: `u${i}`,
      contributions: [
        contribution(
          HR,
          { userName: `user${i}`, title: i % 2 === 0 ? 'Crew' : 'Pilot' },
          { sourceKey: `hr${i}` },
        ),
        contribution(
          LDAP,
          { userName: `user${i}`, title: 'Crew', [ENT]: { department: 'D' } },
          { sourceKey: `ldap${i}` },
        ),
      ],
    }));
    const oldRules = ruleSet([{ path: 'title', policy: 'priority', sources: [HR, LDAP] }], {
      policy: 'priority',
      sources: [HR],
    });
    const newRules = ruleSet([{ path: 'title', policy: 'priority', sources: [LDAP, HR] }], {
      policy: 'priority',
      sources: [HR, LDAP],
    });
    const preview = await previewRuleChange({
      records: [...records].reverse(),
      oldRules,
      newRules,
      now: T0,
      sampleSize: 2,
    });
    expect(preview.total).toBe(8);
    expect(preview.changed).toBe(8);
    expect(preview.paths).toEqual([
      {
        path: `${ENT}:department`,
        count: 8,
        samples: [
          { id: 'u0', after: 'D' },
          { id: 'u1', after: 'D' },
        ],
      },
      {
        path: 'title',
        count: 4,
        samples: [
          { id: 'u1', before: 'Pilot', after: 'Crew' },
          { id: 'u3', before: 'Pilot', after: 'Crew' },
        ],
      },
    ]);
    expect(preview.samples.map((s) => s.id)).toEqual(['u0', 'u1']);
  });

  it('an unchanged rule set changes nothing', async () => {
    const rules = ruleSet([{ path: 'title', policy: 'priority', sources: [HR, LDAP] }]);
    const preview = await previewRuleChange({
      records: [{ id: 'u', contributions: [contribution(HR, { title: 'x' })] }],
      oldRules: rules,
      newRules: rules,
      now: T0,
    });
    expect(preview).toEqual({ total: 1, changed: 0, paths: [], samples: [] });
  });
});
