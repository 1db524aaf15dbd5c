import { SchemaRegistry, type JsonObject } from '@hub/scim';
import { compareRepresentation, holdsExactly } from './compare';
import { classifyLinked, classifyUnlinked, managedPart } from './classify';
import { extractOwned, ownedAgree, ownedUnits } from './owned';
import { actionFor, DEFAULT_POLICY, parseSettings, ReconcileSettingsError } from './policy';
import { planRead, probeFindings } from './read-plan';
import { ReportPage, SAMPLES_PER_CLASS } from './report';
import { SeenSet, hash53 } from './seen-set';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const schemas = SchemaRegistry.withBuiltIns().resourceType('User');

/** What the hub would push for Fry: the representation both comparisons start from. */
const FRY: JsonObject = {
  schemas: [USER],
  userName: 'Fry',
  externalId: 'hub-1',
  name: { givenName: 'Philip', familyName: 'Fry' },
  emails: [
    { type: 'work', value: 'fry@planex.com', primary: true },
    { type: 'home', value: 'fry@home.net' },
  ],
  [ENTERPRISE]: { department: 'Delivery' },
  active: true,
};

describe('compareRepresentation', () => {
  const desired = FRY;

  it('sees no drift in a normalised equal object (case, order, empty values, server fields)', () => {
    const remote: JsonObject = {
      id: 'r1',
      meta: { lastModified: '2026-01-01T00:00:00Z' },
      schemas: [USER, ENTERPRISE],
      USERNAME: 'fry', // userName is caseExact false
      externalId: 'hub-1',
      name: { givenName: 'Philip', familyName: 'Fry', formatted: 'set by the target' },
      emails: [
        { type: 'home', value: 'FRY@home.net', primary: false, display: 'x' },
        { value: 'fry@planex.com', type: 'work', primary: true },
      ],
      [ENTERPRISE.toLowerCase()]: { department: 'Delivery' },
      active: true,
      title: 'the target keeps its own attributes',
      nickName: '',
    };
    expect(compareRepresentation(desired, remote, schemas)).toEqual([]);
  });

  it('names each attribute that differs, sub-attributes of complex ones one by one', () => {
    const remote: JsonObject = {
      userName: 'fry',
      externalId: 'HUB-1', // externalId is caseExact
      name: { givenName: 'Phil', familyName: 'Fry' },
      emails: [{ type: 'work', value: 'fry@planex.com', primary: true }],
      [ENTERPRISE]: { department: 'Sales' },
      active: false,
    };
    const paths = compareRepresentation(desired, remote, schemas).map((d) => d.path);
    expect(paths.sort()).toEqual(
      ['externalId', 'name.givenName', 'emails', `${ENTERPRISE}:department`, 'active'].sort(),
    );
  });

  it('compares what the hub pushed before: a value the hub dropped but the target kept is drift', () => {
    const remote = { userName: 'fry', title: 'Captain' };
    expect(compareRepresentation({ userName: 'fry' }, remote, schemas)).toEqual([]);
    expect(
      compareRepresentation({ userName: 'fry' }, remote, schemas, {
        pushed: { userName: 'fry', title: 'X' },
      }),
    ).toEqual([{ path: 'title', hub: null, remote: 'Captain' }]);
  });

  it('leaves owned units out: typed elements and whole attributes', () => {
    const remote = {
      userName: 'fry',
      emails: [
        { type: 'home', value: 'fry@home.net' },
        { type: 'work', value: 'minted@mail.example' },
      ],
      nickName: 'minted',
    };
    const hub = { userName: 'fry', emails: [{ type: 'home', value: 'fry@home.net' }], nickName: 'x' };
    expect(compareRepresentation(hub, remote, schemas).map((d) => d.path)).toEqual(['emails', 'nickName']);
    expect(
      compareRepresentation(hub, remote, schemas, {
        owned: [{ attribute: 'emails', elementType: 'work' }, { attribute: 'nickName' }],
      }),
    ).toEqual([]);
  });
});

describe('holdsExactly (the fast in-sync path)', () => {
  const desired = FRY;
  const exact: JsonObject = {
    ...structuredClone(desired),
    id: 'r1',
    meta: { lastModified: '2026-01-01T00:00:00Z' },
    groups: [{ value: 'g1' }],
  };
  const variants: Array<[string, JsonObject]> = [
    ['the exact copy with server-managed fields', exact],
    ['keys in another order', Object.fromEntries(Object.entries(exact).reverse())],
    ['a changed title of its own', { ...exact, title: 'Boss' }],
    ['another case', { ...exact, userName: 'FRY' }],
    ['a missing attribute', { ...exact, active: undefined }],
    ['a changed sub-attribute', { ...exact, name: { givenName: 'Phil', familyName: 'Fry' } }],
    ['an extra element', { ...exact, emails: [...(exact.emails as JsonObject[]), { value: 'x@y.z' }] }],
    ['an attribute the hub dropped', { ...exact, nickName: 'Frydo' }],
    ['an extension attribute more', { ...exact, [ENTERPRISE]: { department: 'Delivery', division: 'X' } }],
  ];

  it('holds for an exact copy (whatever else the target manages itself) and for nothing that differs', () => {
    expect(variants.filter(([, r]) => holdsExactly(desired, r)).map(([name]) => name)).toEqual([
      'the exact copy with server-managed fields',
      'keys in another order',
    ]);
  });

  it('never calls in sync what the normalised comparison calls drifted, whatever the pushed state', () => {
    const pushedStates: Array<JsonObject | null> = [
      null,
      desired,
      { ...desired, nickName: 'Frydo', title: 'x' },
    ];
    for (const [name, remote] of variants)
      for (const pushed of pushedStates)
        if (holdsExactly(desired, remote))
          expect([name, compareRepresentation(desired, remote, schemas, { pushed })]).toEqual([name, []]);
    // The dropped attribute is drift once the pushed state says the hub sent it.
    const dropped = variants.find(([n]) => n === 'an attribute the hub dropped')![1];
    expect(compareRepresentation(desired, dropped, schemas, { pushed: pushedStates[2] })).not.toEqual([]);
  });
});

describe('classify', () => {
  const link = { resourceId: 'g1', status: 'synced', pushedState: null };
  it('linked objects: in sync, drifted, and the deprovisioning policies', () => {
    const base = { link, schemas, deprovision: 'disable' as const };
    expect(classifyLinked({ ...base, remote: { userName: 'a' }, desired: { userName: 'a' } }).class).toBe(
      'in_sync',
    );
    const drifted = classifyLinked({
      ...base,
      remote: { userName: 'a', title: 'y' },
      desired: { userName: 'a', title: 'x' },
    });
    expect(drifted).toEqual({ class: 'drifted', differences: [{ path: 'title', hub: 'x', remote: 'y' }] });
    expect(classifyLinked({ ...base, remote: { active: true }, desired: null }).class).toBe('drifted');
    expect(classifyLinked({ ...base, remote: { active: false }, desired: null }).class).toBe('in_sync');
    expect(
      classifyLinked({ ...base, deprovision: 'leave', remote: { active: true }, desired: null }).class,
    ).toBe('in_sync');
    expect(
      classifyLinked({ ...base, deprovision: 'delete', remote: { active: false }, desired: null }).class,
    ).toBe('drifted');
  });

  it('unlinked objects: a match with no other object at the target is adopted, else orphan', () => {
    expect(classifyUnlinked({ resourceId: 'g', linkedElsewhere: false }).class).toBe('unlinked_match');
    expect(classifyUnlinked({ resourceId: 'g', linkedElsewhere: true }).class).toBe('orphan');
    expect(classifyUnlinked(null).class).toBe('orphan');
  });

  it('managedPart keeps only the attributes the hub manages', () => {
    expect(
      managedPart(
        { id: 'r', meta: {}, userName: 'a', title: 't', nickName: 'n' },
        { userName: 'a' },
        { title: 'x' },
      ),
    ).toEqual({ userName: 'a', title: 't' });
  });
});

describe('owned attributes', () => {
  const rules = [
    { path: 'emails[type eq "work"]', policy: 'priority' as const, sources: ['mail', 'hr'] },
    { path: 'name.givenName', policy: 'priority' as const, sources: ['hr'] },
    { path: `${ENTERPRISE}:employeeNumber`, policy: 'exclusive' as const, sources: ['mail'] },
    { path: 'title', policy: 'priority' as const, sources: ['*'] },
  ];
  const units = ownedUnits(rules, 'mail', schemas);

  it('are the rules that name the target source (not `*`)', () => {
    expect(units).toEqual([
      { attribute: 'emails', elementType: 'work' },
      { uri: ENTERPRISE, attribute: 'employeeNumber' },
    ]);
  });

  it('are read from the remote object as a contribution', () => {
    const remote = {
      id: 'r',
      userName: 'fry',
      emails: [
        { type: 'home', value: 'h@x' },
        { type: 'Work', value: 'fry@mail.example', display: 'x' },
      ],
      [ENTERPRISE]: { employeeNumber: '42', department: 'D' },
    };
    const extracted = extractOwned(remote, units, schemas);
    expect(extracted).toEqual({
      emails: [{ type: 'Work', value: 'fry@mail.example' }],
      [ENTERPRISE]: { employeeNumber: '42' },
    });
    expect(
      ownedAgree(
        { ...remote, emails: [{ type: 'work', value: 'fry@mail.example' }] },
        extracted,
        units,
        schemas,
      ),
    ).toBe(true);
    expect(ownedAgree({ userName: 'fry' }, extracted, units, schemas)).toBe(false);
    expect(extractOwned({ userName: 'x' }, units, schemas)).toEqual({});
  });
});

describe('policy and settings', () => {
  it('defaults: remediate drift and missing, adopt matches, report orphans', () => {
    expect(actionFor('drifted', DEFAULT_POLICY)).toBe('push');
    expect(actionFor('missing', DEFAULT_POLICY)).toBe('recreate');
    expect(actionFor('unlinked_match', DEFAULT_POLICY)).toBe('adopt');
    expect(actionFor('orphan', DEFAULT_POLICY)).toBe('none');
    expect(actionFor('orphan', { ...DEFAULT_POLICY, orphan: 'delete' })).toBe('delete');
    expect(actionFor('in_sync', DEFAULT_POLICY)).toBe('none');
  });

  it('parses settings with defaults and refuses unknown or invalid values', () => {
    expect(parseSettings(undefined)).toEqual({ mode: 'full', policy: DEFAULT_POLICY });
    expect(parseSettings({ schedule: '0 3 * * *', mode: 'delta', policy: { orphan: 'disable' } })).toEqual({
      schedule: '0 3 * * *',
      mode: 'delta',
      policy: { ...DEFAULT_POLICY, orphan: 'disable' },
    });
    expect(() => parseSettings({ policy: { orphan: 'burn' }, extra: 1 })).toThrow(ReconcileSettingsError);
    expect(() => parseSettings({ schedule: 'nope' }, () => false)).toThrow(/cron/);
  });
});

describe('planRead', () => {
  const since = new Date('2026-01-01T00:00:00Z');
  it('pages by cursor when the probe saw it, by index otherwise', () => {
    expect(
      planRead({ requested: 'full', filterSupported: true, probe: { cursor: true }, since }).pagination,
    ).toBe('cursor');
    expect(planRead({ requested: 'full', filterSupported: true, probe: null, since }).pagination).toBe(
      'index',
    );
  });
  it('reads a delta by meta.lastModified only when the target filters on it and a run completed', () => {
    expect(planRead({ requested: 'delta', filterSupported: true, probe: null, since, skewMs: 0 })).toEqual({
      pagination: 'index',
      mode: 'delta',
      filter: 'meta.lastModified gt "2026-01-01T00:00:00.000Z"',
    });
    expect(
      planRead({ requested: 'delta', filterSupported: true, probe: { lastModifiedGt: false }, since }).mode,
    ).toBe('full');
    expect(planRead({ requested: 'delta', filterSupported: true, probe: null, since: null }).mode).toBe(
      'full',
    );
  });
  it('reads the probe report stored on the target', () => {
    expect(
      probeFindings({
        checks: [{ id: 'filter.gt.lastModified', outcome: 'supported' }],
        dialect: { paging: { index: true, cursor: true } },
      }),
    ).toEqual({ cursor: true, lastModifiedGt: true });
    expect(probeFindings(null)).toBeNull();
  });
});

describe('ReportPage and SeenSet', () => {
  it('keeps a bounded number of samples per class across pages, with exact counts', () => {
    const sampled = new Map<string, number>();
    let kept = 0;
    for (let p = 0; p < 3; p++) {
      const page = new ReportPage(sampled);
      for (let i = 0; i < 15; i++) {
        page.count('orphan');
        page.sample({
          class: 'orphan',
          remoteId: `r${p}-${i}`,
          resourceId: null,
          label: null,
          action: 'none',
        });
        page.action('delete', 'planned');
      }
      const d = page.take();
      kept += d.samples.length;
      expect(d.counts).toEqual({ orphan: 15 });
      expect(d.actions).toEqual({ delete: { ok: 0, failed: 0, skipped: 0, planned: 15 } });
    }
    expect(kept).toBe(SAMPLES_PER_CLASS);
  });

  it('answers membership for every id added and (almost surely) no other', () => {
    const seen = new SeenSet();
    for (let i = 0; i < 5000; i++) seen.add(`id-${i}`);
    seen.seal();
    expect(seen.count).toBe(5000);
    for (let i = 0; i < 5000; i++) expect(seen.has(`id-${i}`)).toBe(true);
    let false_ = 0;
    for (let i = 5000; i < 10000; i++) if (seen.has(`id-${i}`)) false_++;
    expect(false_).toBe(0);
  });

  it('hashes ids that differ in one character, or are permutations, apart (no collision in 300,000)', () => {
    const hashes = new Set<number>();
    for (let i = 0; i < 100_000; i++) {
      hashes.add(hash53(`a-r${i}`));
      hashes.add(hash53(`r-a${i}`));
      hashes.add(hash53(`${i}`.split('').reverse().join('') + '-ra'));
    }
    expect(hashes.size).toBe(300_000);
    expect([...hashes].filter((h) => !Number.isSafeInteger(h) || h < 0)).toEqual([]);
  });
});
