import { effectiveRate } from './service/target-gate.service';
import { ResourceTypeSchemas, SchemaRegistry } from '@hub/scim';
import { planMembership } from './membership';
import { isDeprovisioning, linkStamp, planPush, representationHash, type PlanInput } from './plan';
import {
  backfillPriority,
  classifyFailure,
  deletionAllowed,
  interleave,
  nextProbeDelay,
  tokenBlock,
} from './policies';
import { compileMapping, representationNow, representationStamp, toRepresentation } from './representation';
import { compileScope, decideScope } from './scope';
import {
  UNKNOWN_CAPABILITIES,
  type StoredCapabilities,
  type TargetMapping,
  type TargetScope,
} from './target-config';
import { validateTargetResourceTypes } from './target-config.validator';

const registry = SchemaRegistry.withBuiltIns({ device: false });
const users = registry.resourceType('User');
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

const base = (over: Partial<PlanInput>): PlanInput => ({
  desired: { schemas: [USER], userName: 'fry', title: 'Delivery boy' },
  link: null,
  schemas: users,
  patchSupported: true,
  deprovision: 'disable',
  matchAttribute: 'userName',
  filterSupported: true,
  ...over,
});

describe('planPush', () => {
  it('creates an unlinked record after matching on the match attribute', () => {
    expect(planPush(base({}))).toMatchObject({ kind: 'create', match: 'userName eq "fry"' });
  });

  it('patches only the difference, puts when PATCH is missing, and does nothing when equal', () => {
    const pushedState = { schemas: [USER], userName: 'fry', title: 'Intern' };
    const link = {
      remoteId: 'r1',
      pushedState,
      pushedHash: representationHash(pushedState),
      status: 'synced',
    };
    expect(planPush(base({ link }))).toMatchObject({
      kind: 'patch',
      requests: [[{ op: 'replace', path: 'title', value: 'Delivery boy' }]],
    });
    expect(planPush(base({ link, patchSupported: false }))).toMatchObject({ kind: 'put' });
    expect(planPush(base({ link, desired: pushedState }))).toMatchObject({ kind: 'noop' });
  });

  it('deprovisions per policy: active=false, DELETE, or leave', () => {
    const pushedState = { schemas: [USER], userName: 'fry', active: true };
    const link = { remoteId: 'r1', pushedState, pushedHash: 'x', status: 'synced' };
    const disable = planPush(base({ desired: null, link }));
    expect(disable).toMatchObject({
      kind: 'disable',
      requests: [[{ op: 'replace', path: 'active', value: false }]],
    });
    expect(isDeprovisioning(disable, link)).toBe(true);
    expect(planPush(base({ desired: null, link, deprovision: 'delete' }))).toEqual({ kind: 'delete' });
    expect(planPush(base({ desired: null, link, deprovision: 'leave' }))).toMatchObject({ kind: 'forget' });
    expect(planPush(base({ desired: null, link: null }))).toMatchObject({ kind: 'noop' });
  });

  it('looks for an object a failed create may have made before deprovisioning, by the hub id only', () => {
    const lost = { remoteId: null, pushedState: null, pushedHash: null, status: 'pending', uncertain: true };
    const reclaim = planPush(base({ desired: null, link: lost, resourceId: 'hub-1' }));
    expect(reclaim).toEqual({ kind: 'reclaim', filter: 'externalId eq "hub-1"', externalId: 'hub-1' });
    expect(isDeprovisioning(reclaim, lost)).toBe(true); // counted by the deletion threshold
    // Nothing was ever tried, the target cannot filter, or the policy leaves objects: nothing to find.
    const never = { ...lost, uncertain: false };
    expect(planPush(base({ desired: null, link: never, resourceId: 'hub-1' }))).toMatchObject({
      kind: 'noop',
    });
    expect(
      planPush(base({ desired: null, link: lost, resourceId: 'hub-1', filterSupported: false })),
    ).toMatchObject({ kind: 'noop' });
    expect(
      planPush(base({ desired: null, link: lost, resourceId: 'hub-1', deprovision: 'leave' })),
    ).toMatchObject({ kind: 'noop' });
  });
});

describe('planMembership', () => {
  it('removes each member with a value filter and adds in batches', () => {
    const pushed = new Map([
      ['a', 'ra'],
      ['b', 'rb'],
      ['c', 'rc'],
    ]);
    const desired = new Map([
      ['c', 'rc'],
      ['d', 'rd'],
      ['e', 're'],
      ['f', 'rf'],
    ]);
    const plan = planMembership(pushed, desired, 2);
    const ops = plan.requests.flatMap((r) => r.operations);
    expect(ops.filter((o) => o.op === 'remove').map((o) => o.path)).toEqual([
      'members[value eq "ra"]',
      'members[value eq "rb"]',
    ]);
    expect(ops.some((o) => o.op === 'remove' && o.path === 'members')).toBe(false);
    expect(plan.requests.every((r) => r.added.length + r.removed.length <= 2)).toBe(true);
    expect(plan.requests.flatMap((r) => r.added).sort()).toEqual(['d', 'e', 'f']);
  });

  it('removes a member under the remote id it was pushed with and adds it under its new one', () => {
    // The member was deleted at the target and created again: the group still names the old id.
    const plan = planMembership(
      new Map([
        ['a', 'old-a'],
        ['b', 'rb'],
      ]),
      new Map([
        ['a', 'new-a'],
        ['b', 'rb'],
      ]),
      10,
    );
    expect(plan.requests.map((r) => ({ ops: r.operations, added: r.added, removed: r.removed }))).toEqual([
      { ops: [{ op: 'remove', path: 'members[value eq "old-a"]' }], added: [], removed: ['a'] },
      { ops: [{ op: 'add', path: 'members', value: [{ value: 'new-a' }] }], added: ['a'], removed: [] },
    ]);
  });

  it('splits 50,000 members into requests of the batch size', () => {
    const desired = new Map(Array.from({ length: 50_000 }, (_, i) => [`m${i}`, `r${i}`] as [string, string]));
    expect(planMembership(new Map(), desired, 500).requests).toHaveLength(100);
  });
});

describe('representation and scope', () => {
  it('identity sends writable core attributes, externalId = hub id, never the password', async () => {
    const rep = await toRepresentation(
      {
        id: 'h1',
        lifecycleState: 'suspended',
        attributes: { userName: 'fry', password: 'x', groups: [{ value: 'g' }], title: 't' },
      },
      users,
      compileMapping({ mode: 'identity' }),
      UNKNOWN_CAPABILITIES,
    );
    expect(rep.body).toEqual({
      schemas: [USER],
      externalId: 'h1',
      userName: 'fry',
      title: 't',
      active: false,
    });
  });

  it('identity: canonical names, extensions only as the target declares them, decisions kept per target', async () => {
    const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
    const record = {
      id: 'h2',
      lifecycleState: 'active' as const,
      attributes: {
        UserName: 'leela',
        unknownThing: 1,
        meta: { version: 'x' },
        [ENT]: { department: 'Crew', EMPLOYEENUMBER: '7', manager: { value: 'm1', displayName: 'Hermes' } },
      },
    };
    const identity = compileMapping({ mode: 'identity' });
    const declaring = { ...UNKNOWN_CAPABILITIES, schemas: [USER, ENT] };
    const silent = { ...UNKNOWN_CAPABILITIES, schemas: [USER] };
    // The same views and capabilities again (decisions remembered), then other capabilities.
    for (let round = 0; round < 2; round++) {
      const declared = await toRepresentation(record, users, identity, declaring);
      expect(declared.body).toEqual({
        schemas: [USER, ENT],
        externalId: 'h2',
        userName: 'leela',
        [ENT]: { department: 'Crew', employeeNumber: '7', manager: { value: 'm1', displayName: 'Hermes' } },
      });
      const undeclared = await toRepresentation(record, users, identity, silent);
      expect(undeclared.body).toEqual({ schemas: [USER], externalId: 'h2', userName: 'leela' });
    }
  });

  it('explicit sends only mapped attributes, transforms included', async () => {
    const rep = await toRepresentation(
      {
        id: 'h1',
        lifecycleState: 'active',
        attributes: { userName: 'fry', title: 'x', name: { givenName: 'Philip' } },
      },
      users,
      compileMapping({
        mode: 'explicit',
        attributes: [
          { target: 'userName', expression: "$lowercase(userName) & '@corp'" },
          { target: 'displayName', source: 'name.givenName' },
        ],
      }),
      UNKNOWN_CAPABILITIES,
    );
    expect(rep.body).toEqual({ schemas: [USER], userName: 'fry@corp', displayName: 'Philip' });
  });

  it('at once (no promise) when no attribute needs an expression, the same body; never with expressions', async () => {
    const record = {
      id: 'h1',
      lifecycleState: 'suspended' as const,
      attributes: { userName: 'fry', title: 'x', name: { givenName: 'Philip' } },
    };
    const sourced = compileMapping({
      mode: 'explicit',
      attributes: [
        { target: 'displayName', source: 'name.givenName' },
        // A source wins over an expression: nothing to evaluate.
        { target: 'title', source: 'title', expression: '$uppercase(title)' },
      ],
    });
    for (const mapping of [compileMapping({ mode: 'identity' }), sourced]) {
      const now = representationNow(record, users, mapping, UNKNOWN_CAPABILITIES);
      expect(now).not.toBeNull();
      expect(now).toEqual(await toRepresentation(record, users, mapping, UNKNOWN_CAPABILITIES));
    }
    expect(sourced.expressions).toBe(false);
    const computed = compileMapping({
      mode: 'explicit',
      attributes: [{ target: 'userName', expression: '$uppercase(userName)' }],
    });
    expect(representationNow(record, users, computed, UNKNOWN_CAPABILITIES)).toBeNull();
    expect((await toRepresentation(record, users, computed, UNKNOWN_CAPABILITIES)).body).toEqual({
      schemas: [USER],
      userName: 'FRY',
      active: false,
    });
  });

  it('scope: filter on the golden record and group assignment', () => {
    const scope = compileScope({ filter: 'title eq "crew"', groups: ['g1'] }, users);
    const rec = { id: 'u', resourceType: 'User', attributes: { title: 'crew' } };
    expect(decideScope(scope, rec, ['g1']).inScope).toBe(true);
    expect(decideScope(scope, rec, ['g2']).inScope).toBe(false);
    expect(decideScope(scope, { ...rec, attributes: { title: 'x' } }, ['g1']).inScope).toBe(false);
  });
});

describe('representationStamp', () => {
  const identity = { enabled: true, matchAttribute: 'userName', deprovision: 'disable' } as const;
  const stamp = (
    over: {
      mapping?: TargetMapping;
      scope?: TargetScope;
      capabilities?: Partial<StoredCapabilities>;
      schemas?: ResourceTypeSchemas;
    } = {},
  ) => {
    const { mapping = { mode: 'identity' }, scope, schemas = users } = over;
    return representationStamp({
      config: { ...identity, mapping, ...(scope ? { scope } : {}) },
      schemas,
      capabilities: { ...UNKNOWN_CAPABILITIES, ...over.capabilities },
      mapping: compileMapping(mapping),
      scope: compileScope(scope, schemas),
    });
  };

  it('is the same for the same configuration, and changes with what decides the representation', () => {
    const now = stamp();
    expect(now).toMatch(/^[\w-]{43}$/);
    expect(stamp()).toBe(now);
    const explicit: TargetMapping = {
      mode: 'explicit',
      attributes: [{ target: 'userName', source: 'userName' }],
    };
    const others = [
      stamp({ mapping: explicit }),
      stamp({ scope: { filter: 'active eq true' } }),
      // The extensions the target declares for the type.
      stamp({
        capabilities: {
          resourceTypes: { User: { endpoint: '/Users', schema: USER, extensions: [ENTERPRISE] } },
        },
      }),
      // The tenant's schemas: the type without its extensions.
      stamp({ schemas: new ResourceTypeSchemas(users.resourceType, users.core.definition, []) }),
    ];
    expect(users.extensions.length).toBeGreaterThan(0);
    expect(others.every((s) => s !== null && s !== now)).toBe(true);
    expect(new Set(others).size).toBe(others.length);
    // Not what decides nothing in it: PATCH support, when discovery ran.
    expect(stamp({ capabilities: { patch: !UNKNOWN_CAPABILITIES.patch } })).toBe(now);
    expect(
      stamp({ capabilities: { discoveredAt: '2026-12-05T00:00:00Z' } as Partial<StoredCapabilities> }),
    ).toBe(now);
  });

  it('is null when more than the record decides the representation: expressions, scope by group', () => {
    expect(
      stamp({ mapping: { mode: 'explicit', attributes: [{ target: 'nickName', expression: 'userName' }] } }),
    ).toBeNull();
    expect(stamp({ scope: { groups: ['g1'] } })).toBeNull();
  });
});

describe('linkStamp (what a push records with the pushed state)', () => {
  const desired = { schemas: [USER], userName: 'fry', title: 'Delivery boy' };

  it('the stamp when the target now holds exactly what the push built', () => {
    // Sent by this push (create, PATCH, PUT record the representation itself).
    expect(linkStamp('s1', desired, desired, representationHash(desired))).toBe('s1');
    // Already there: a no-op push keeps the link's state, equal in content.
    const kept = { title: 'Delivery boy', userName: 'fry', schemas: [USER] };
    expect(linkStamp('s1', desired, kept, representationHash(kept))).toBe('s1');
  });

  it('none for a state that is not the representation, nor without a stamp, a representation or a hash', () => {
    // A PATCH base the push left unchanged although it differs (a no-op by "no attribute differs").
    const base = { schemas: [USER], userName: 'Fry', title: 'Delivery boy' };
    expect(linkStamp('s1', desired, base, representationHash(base))).toBeNull();
    expect(linkStamp(null, desired, desired, representationHash(desired))).toBeNull();
    expect(linkStamp('s1', null, desired, representationHash(desired))).toBeNull(); // deprovisioned
    expect(linkStamp('s1', desired, desired, null)).toBeNull(); // not synced
  });
});

describe('policies', () => {
  it('deletion threshold: max(minimum, share × linked)', () => {
    const threshold = { share: 0.1, windowMinutes: 60, minimum: 5 };
    expect(deletionAllowed({ threshold, linked: 100, recent: 9 })).toEqual({ allowed: true, limit: 10 });
    expect(deletionAllowed({ threshold, linked: 100, recent: 10 }).allowed).toBe(false);
    expect(deletionAllowed({ threshold, linked: 10, recent: 4 }).allowed).toBe(true);
  });

  it('probe interval grows and is capped; failures are classified', () => {
    const s = { baseMs: 1000, capMs: 8000 };
    expect([0, 1, 2, 3, 10].map((n) => nextProbeDelay(n, s))).toEqual([1000, 2000, 4000, 8000, 8000]);
    expect(classifyFailure({ status: 401 })).toBe('auth');
    expect(classifyFailure({ status: 429 })).toBe('throttled');
    expect(classifyFailure({ status: 503 })).toBe('throttled');
    expect(classifyFailure({ status: 400 })).toBe('rejected');
    expect(classifyFailure({ kind: 'unreachable' })).toBe('transient');
  });
});

describe('validateTargetResourceTypes', () => {
  it('accepts a good configuration with defaults', () => {
    const r = validateTargetResourceTypes({ User: { mapping: { mode: 'identity' } } }, registry);
    expect(r).toEqual({
      ok: true,
      value: {
        User: {
          enabled: true,
          matchAttribute: 'userName',
          mapping: { mode: 'identity' },
          deprovision: 'disable',
        },
      },
    });
  });

  it('says precisely what is wrong', () => {
    const r = validateTargetResourceTypes(
      {
        Usr: {},
        User: {
          matchAttribute: 'emails',
          deprovision: 'nuke',
          scope: { filter: 'title eq' },
          mapping: {
            mode: 'explicit',
            attributes: [
              { target: 'nope', source: 'userName' },
              { target: 'title', expression: '$eval("1")' },
              { target: 'password', source: 'password' },
            ],
          },
        },
      },
      registry,
    );
    expect(r.ok).toBe(false);
    const paths = (r as unknown as { issues: Array<{ path: string }> }).issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'resourceTypes.Usr',
        'resourceTypes.User.matchAttribute',
        'resourceTypes.User.deprovision',
        'resourceTypes.User.scope.filter',
        'resourceTypes.User.mapping.attributes[0].target',
        'resourceTypes.User.mapping.attributes[1].expression',
        'resourceTypes.User.mapping.attributes[2].target',
      ]),
    );
  });
});

describe('effectiveRate (GCRA spacing under a target limit)', () => {
  it('leaves room for the window boundary and one jittered arrival, and 5 % at higher limits', () => {
    for (const limit of [4, 5, 10, 15, 30, 60, 300, 1000]) {
      const rate = effectiveRate(limit);
      // Most evenly spaced arrivals in a closed 1-s window, plus one late arrival.
      expect(Math.floor(rate) + 2).toBeLessThanOrEqual(limit);
      if (limit >= 40) expect(rate).toBeGreaterThanOrEqual(0.95 * limit - 1e-9);
    }
  });
});

describe('backfillPriority', () => {
  it('places each job at its time at the rate, in fiftieths of a second from the base, never beyond the lowest BullMQ takes', () => {
    // 300 requests/s: 6 jobs per level; 20/s: one job every 2.5 levels.
    expect([0, 5, 6, 11, 12].map((p) => backfillPriority(7, p, 300))).toEqual([7, 7, 8, 8, 9]);
    expect([0, 1, 2].map((p) => backfillPriority(1, p, 20))).toEqual([1, 3, 6]);
    // A slow and a fast target reach the same level after the same second of their rates.
    expect(backfillPriority(1, 20, 20)).toBe(backfillPriority(1, 300, 300));
    expect(backfillPriority(0, 0, 0)).toBe(1);
    expect(backfillPriority(2_097_000, 10_000, 10)).toBe(2_097_152);
  });
});

describe('interleave', () => {
  it('takes one from each target in turn, so a big levelling does not queue ahead of the others', () => {
    expect(interleave([['a1', 'a2', 'a3', 'a4'], ['b1'], [], ['c1', 'c2']])).toEqual([
      'a1',
      'b1',
      'c1',
      'a2',
      'c2',
      'a3',
      'a4',
    ]);
    expect(interleave([])).toEqual([]);
  });
});

describe('tokenBlock', () => {
  it('keeps a rate-limited target at one token per request and blocks a fast one at a millisecond of its rate', () => {
    expect(tokenBlock(15)).toBe(1);
    expect(tokenBlock(300)).toBe(1);
    expect(tokenBlock(1_999)).toBe(1);
    expect(tokenBlock(2_000)).toBe(2);
    expect(tokenBlock(10_000)).toBe(10);
    expect(tokenBlock(100_000)).toBe(32);
  });
});
