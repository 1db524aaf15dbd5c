import { at, contribution, HR, LDAP, MAIL, ruleSet, SOURCE_NAMES } from '../__fixtures__/engine.fixtures';
import type { Contribution } from '../contribution/contribution.model';
import { computeGolden, resolveGolden } from '../resolve/golden';
import type { CompiledRuleSet } from '../rules/rule.compiler';
import { explain } from './explain';

const explainAll = (
  rules: CompiledRuleSet,
  contributions: Contribution[],
  g: ReturnType<typeof resolveGolden>,
) =>
  explain({
    resourceId: 'u1',
    resource: g.resource,
    provenance: g.provenance,
    contributions,
    rules,
    sourceNames: SOURCE_NAMES,
  });

describe('explain', () => {
  it('newest: names the assertion times', () => {
    const rules = ruleSet([{ path: 'title', policy: 'newest', sources: [HR, LDAP] }]);
    const cs = [
      contribution(HR, { title: 'Delivery Boy' }, { assertedAt: at(1) }),
      contribution(LDAP, { title: 'Captain' }, { assertedAt: at(2) }),
    ];
    const g = resolveGolden({ contributions: cs, rules, now: at(3) });
    const [title] = explainAll(rules, cs, g).attributes;
    expect(title!.sentence).toBe(
      'title = "Captain" from LDAP (asserted 2026-03-01T09:02:00.000Z) since 2026-03-01T09:03:00.000Z; HR says "Delivery Boy" (asserted 2026-03-01T09:01:00.000Z, older)',
    );
    expect(title!.sources.map((s) => [s.sourceName, s.standing, s.rank])).toEqual([
      ['LDAP', 'winner', 2],
      ['HR', 'outranked', 1],
    ]);
  });

  it('union: lists every merged source; same values are called the same', () => {
    const rules = ruleSet([
      { path: 'emails', policy: 'union', sources: [HR, LDAP] },
      { path: 'title', policy: 'priority', sources: [HR, LDAP] },
    ]);
    const cs = [
      contribution(HR, { title: 'Captain', emails: [{ value: 'a@x', type: 'work' }] }),
      contribution(LDAP, { title: 'Captain', emails: [{ value: 'b@x', type: 'work' }] }),
      contribution(MAIL, { emails: [{ value: 'c@x', type: 'work' }] }),
    ];
    const g = resolveGolden({ contributions: cs, rules, now: at(0) });
    const byPath = new Map(explainAll(rules, cs, g).attributes.map((a) => [a.path, a.sentence]));
    expect(byPath.get('emails[type eq "work"]')).toBe(
      'emails[type eq "work"] = "a@x", "b@x" merged from HR (priority 1), LDAP (priority 2) (union) since 2026-03-01T09:00:00.000Z; Mail says "c@x" (not an authority for this attribute)',
    );
    expect(byPath.get('title')).toBe(
      'title = "Captain" from HR (priority 1) since 2026-03-01T09:00:00.000Z; LDAP says the same (priority 2, lower)',
    );
  });

  it('default rule and transforms are named', async () => {
    const rules = ruleSet([], { policy: 'priority', sources: [HR, LDAP] }, [
      { path: 'displayName', expression: 'name.givenName & " " & name.familyName' },
      { path: 'title', expression: '$uppercase($value)' },
    ]);
    const cs = [contribution(HR, { title: 'captain', name: { givenName: 'Turanga', familyName: 'Leela' } })];
    const g = await computeGolden({ contributions: cs, rules, now: at(0) });
    const byPath = new Map(explainAll(rules, cs, g).attributes.map((a) => [a.path, a.sentence]));
    expect(byPath.get('displayName')).toBe(
      'displayName = "Turanga Leela" computed by transforms[0] since 2026-03-01T09:00:00.000Z',
    );
    expect(byPath.get('title')).toBe(
      'title = "CAPTAIN" from HR (priority 1), default rule since 2026-03-01T09:00:00.000Z, transformed by title',
    );
  });
});
