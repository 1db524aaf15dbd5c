import { compileMatchRules, matchKeys } from '@hub/engine';
import { ENTERPRISE_USER_URN, SchemaRegistry } from '@hub/scim';
import { correlationLockKeys, goldenMatchKeys, lookupsOf, matcherOf } from './match-keys';

const USERS = SchemaRegistry.withBuiltIns().resourceType('User');
const rules = compileMatchRules(
  [
    { kind: 'link' },
    { kind: 'attribute', path: `${ENTERPRISE_USER_URN}:employeeNumber`, normalise: [] },
    { kind: 'attribute', path: 'userName' },
    { kind: 'attribute', path: 'emails[type eq "work"].value' },
  ],
  USERS,
);

describe('match keys', () => {
  const fry = {
    userName: ' Fry ',
    emails: [
      { value: 'Fry@PlanetExpress.com', type: 'work' },
      { value: 'fry@home.net', type: 'home' },
    ],
    [ENTERPRISE_USER_URN]: { employeeNumber: '3000' },
  };

  it("index a golden record under each attribute rule with the rule's normalisation", () => {
    expect(goldenMatchKeys(fry, rules, USERS)).toEqual([
      { matcher: 'emails[type eq "work"].value|trim,lowercase', value: 'fry@planetexpress.com' },
      { matcher: `${ENTERPRISE_USER_URN}:employeeNumber|`, value: '3000' },
      { matcher: 'userName|trim,lowercase', value: 'fry' },
    ]);
  });

  it('a contribution looks up the same matchers a golden record is indexed under', () => {
    const keys = matchKeys({ sourceId: 's', sourceKey: 'k', attributes: { userName: 'FRY' } }, rules, USERS);
    const lookups = lookupsOf(keys, rules);
    expect(lookups[0]).toBeNull();
    expect(lookups[1]).toEqual({ matcher: matcherOf(rules[1]!), values: [] });
    expect(lookups[2]).toEqual({ matcher: 'userName|trim,lowercase', values: ['fry'] });
  });

  it('lock keys are stable, tenant-scoped and sorted', () => {
    const l = [{ matcher: 'userName|trim,lowercase', values: ['fry', 'leela'] }];
    const a = correlationLockKeys('t1', 'User', l);
    expect(a).toEqual(correlationLockKeys('t1', 'User', [null, ...l]));
    expect(a).toHaveLength(2);
    expect([...a].sort()).toEqual(a);
    expect(correlationLockKeys('t2', 'User', l)).not.toEqual(a);
    for (const k of a) expect(BigInt(k) >= -(2n ** 63n) && BigInt(k) < 2n ** 63n).toBe(true);
  });

  it('no attribute rules, no keys (the default tenant writes none)', () => {
    expect(goldenMatchKeys(fry, compileMatchRules([{ kind: 'link' }], USERS), USERS)).toEqual([]);
  });
});
