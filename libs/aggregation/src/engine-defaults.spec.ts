import { compileRules, resolveGolden, type Contribution } from '@hub/engine';
import { SchemaRegistry } from '@hub/scim';
import { DEFAULT_AUTHORITY, mayCreate, removalEffect, validateLifecyclePolicy } from './engine-defaults';

const USERS = SchemaRegistry.withBuiltIns().resourceType('User');
const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
const c = (sourceId: string, attributes: Record<string, unknown>, s: number): Contribution => ({
  sourceId,
  sourceKey: 'k',
  resourceType: 'User',
  attributes,
  assertedAt: at(s),
});

describe('engine defaults (a tenant that configured nothing)', () => {
  const rules = compileRules({ resourceType: 'User', ...DEFAULT_AUTHORITY }, USERS);

  it('the single inbound source is authoritative for everything it says', () => {
    const g = resolveGolden({
      contributions: [c('a', { userName: 'fry', title: 'Boy' }, 1)],
      rules,
      now: at(2),
    });
    expect(g.resource).toMatchObject({ userName: 'fry', title: 'Boy' });
  });

  it('several sources: the latest non-empty assertion wins per attribute', () => {
    const g = resolveGolden({
      contributions: [
        c('a', { userName: 'fry', title: 'Boy' }, 1),
        c('b', { userName: 'fry', nickName: 'F' }, 2),
      ],
      rules,
      now: at(3),
    });
    expect(g.resource).toMatchObject({ userName: 'fry', title: 'Boy', nickName: 'F' });
  });

  it('roles: per type first, then `*`', () => {
    expect(mayCreate({ '*': { create: true } }, 'User')).toBe(true);
    expect(mayCreate({ User: { create: false }, '*': { create: true } }, 'User')).toBe(false);
    expect(mayCreate({}, 'User')).toBe(false);
    expect(mayCreate(null, 'User')).toBe(false);
  });

  it('removal: delete without a policy, lifecycle for its authorities, withdraw for others', () => {
    expect(removalEffect(null, 'a')).toBe('delete');
    const policy = { authorities: ['hr'], graceMs: 1000 };
    expect(removalEffect(policy, 'hr')).toBe('lifecycle');
    expect(removalEffect(policy, 'ldap')).toBe('withdraw');
  });

  it('lifecycle policies are validated with exact locations', () => {
    const known = new Set(['hr']);
    expect(validateLifecyclePolicy(null, known)).toEqual([]);
    expect(validateLifecyclePolicy({ authorities: ['hr'], graceMs: 0 }, known)).toEqual([]);
    expect(validateLifecyclePolicy({ authorities: ['hr', 'x'], graceMs: -1, extra: 1 }, known)).toEqual([
      { at: 'lifecycle.authorities[1]', message: 'unknown source "x"' },
      { at: 'lifecycle.graceMs', message: 'must be a non-negative integer (milliseconds)' },
      { at: 'lifecycle.extra', message: 'unknown property' },
    ]);
  });
});
