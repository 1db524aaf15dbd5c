import {
  ENTERPRISE_USER_URN,
  GROUP_URN,
  patchResource,
  PATCH_OP_URN,
  SchemaRegistry,
  USER_URN,
  type JsonObject,
} from '@hub/scim';
import { buildPatch } from './patch-builder';

const registry = SchemaRegistry.withBuiltIns();
const users = registry.resourceType('User');
const groups = registry.resourceType('Group');

/** Applies the requests in order with the strict (rfc) server-side PATCH of @hub/scim. */
function apply(resource: JsonObject, requests: ReturnType<typeof buildPatch>, type = users): JsonObject {
  return requests.reduce(
    (r, Operations) => patchResource(r, { schemas: [PATCH_OP_URN], Operations }, type),
    resource,
  );
}

const alice: JsonObject = {
  schemas: [USER_URN, ENTERPRISE_USER_URN],
  id: 'a1',
  meta: { resourceType: 'User' },
  userName: 'alice',
  name: { givenName: 'Alice', familyName: 'Smith', middleName: 'Q' },
  title: 'Engineer',
  emails: [
    { type: 'work', value: 'alice@example.com', primary: true },
    { type: 'home', value: 'a@home.example' },
  ],
  [ENTERPRISE_USER_URN]: { department: 'R&D', employeeNumber: '42' },
};

describe('buildPatch', () => {
  it('returns nothing when only server-owned attributes or element order differ', () => {
    const reordered = { ...alice, id: 'other', meta: {}, emails: [...(alice.emails as unknown[])].reverse() };
    expect(buildPatch(alice, reordered, users)).toEqual([]);
  });

  it('changes only what differs: sub-attributes, removed attributes, extension attributes', () => {
    const after: JsonObject = {
      ...alice,
      name: { givenName: 'Alice', familyName: 'Jones' },
      title: undefined,
      displayName: 'Alice Jones',
      [ENTERPRISE_USER_URN]: { department: 'Sales', employeeNumber: '42' },
    };
    const requests = buildPatch(alice, after, users);
    expect(requests).toEqual([
      [
        { op: 'remove', path: 'name.middleName' },
        { op: 'remove', path: 'title' },
        { op: 'replace', path: 'name.familyName', value: 'Jones' },
        { op: 'replace', path: 'displayName', value: 'Alice Jones' },
        { op: 'replace', path: `${ENTERPRISE_USER_URN}:department`, value: 'Sales' },
      ],
    ]);
    const { title: _t, ...expected } = after;
    expect(apply(alice, requests)).toEqual(expected);
  });

  it('replaces a multi-valued attribute whose elements changed, and removes a whole extension', () => {
    const after: JsonObject = {
      ...alice,
      emails: [{ type: 'work', value: 'alice@new.example', primary: true }],
    };
    delete after[ENTERPRISE_USER_URN];
    const requests = buildPatch(alice, after, users);
    expect(requests).toEqual([
      [
        { op: 'remove', path: ENTERPRISE_USER_URN },
        { op: 'replace', path: 'emails', value: after.emails },
      ],
    ]);
    expect(apply(alice, requests)).toMatchObject({ emails: after.emails });
    expect(apply(alice, requests)[ENTERPRISE_USER_URN]).toBeUndefined();
  });

  it('removes members one filtered operation each and adds them in batches, never a bare members remove', () => {
    const member = (n: number) => ({ value: `u${n}` });
    const before: JsonObject = {
      schemas: [GROUP_URN],
      displayName: 'crew',
      members: [1, 2, 3, 4, 5].map(member),
    };
    const after: JsonObject = {
      schemas: [GROUP_URN],
      displayName: 'crew',
      members: [1, 2, 6, 7, 8, 9, 10].map(member),
    };
    const requests = buildPatch(before, after, groups, { batchSize: 2 });
    const ops = requests.flat();
    expect(ops.filter((o) => o.op === 'remove').map((o) => o.path)).toEqual([
      'members[value eq "u3"]',
      'members[value eq "u4"]',
      'members[value eq "u5"]',
    ]);
    expect(ops.some((o) => o.op === 'remove' && o.path === 'members')).toBe(false);
    expect(ops.filter((o) => o.op === 'add').map((o) => (o.value as unknown[]).length)).toEqual([2, 2, 1]);
    // Every request changes at most batchSize members.
    for (const request of requests) {
      const changed = request.reduce((n, o) => n + (o.op === 'add' ? (o.value as unknown[]).length : 1), 0);
      expect(changed).toBeLessThanOrEqual(2);
    }
    const result = apply(before, requests, groups);
    expect((result.members as { value: string }[]).map((m) => m.value).sort()).toEqual([
      'u1',
      'u10',
      'u2',
      'u6',
      'u7',
      'u8',
      'u9',
    ]);
  });

  it('quotes member ids safely inside the value filter', () => {
    const before: JsonObject = { schemas: [GROUP_URN], displayName: 'g', members: [{ value: 'a"b\\c' }] };
    const after: JsonObject = { schemas: [GROUP_URN], displayName: 'g' };
    const requests = buildPatch(before, after, groups);
    expect(requests).toEqual([[{ op: 'remove', path: 'members[value eq "a\\"b\\\\c"]' }]]);
    expect(apply(before, requests, groups).members).toBeUndefined();
  });

  it('never sends write-only or read-only attributes', () => {
    const after: JsonObject = { ...alice, password: 'secret', groups: [{ value: 'g1' }] };
    expect(buildPatch(alice, after, users)).toEqual([]);
  });
});
