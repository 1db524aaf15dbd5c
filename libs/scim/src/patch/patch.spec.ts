import {
  ENTERPRISE,
  RFC7643_8_2_FULL_USER,
  RFC7643_8_3_ENTERPRISE_USER,
  RFC7643_8_4_GROUP,
} from '../__fixtures__/rfc7643.fixtures';
import { PATCH_OP_URN } from '../constants';
import {
  InvalidFilterError,
  InvalidPathError,
  InvalidSyntaxError,
  InvalidValueError,
  MutabilityError,
  NoTargetError,
  PayloadTooLargeError,
} from '../errors/scim-error';
import { SchemaRegistry } from '../schema/schema.registry';
import { cloneJson, type JsonObject } from '../util/json.util';
import { patchResource } from './patch.pipeline';

const registry = SchemaRegistry.withBuiltIns();
const users = registry.resourceType('User');
const groups = registry.resourceType('Group');
const body = (...Operations: unknown[]) => ({ schemas: [PATCH_OP_URN], Operations });
const patchUser = (resource: JsonObject, ...ops: unknown[]) => patchResource(resource, body(...ops), users);
const patchGroup = (resource: JsonObject, ...ops: unknown[]) => patchResource(resource, body(...ops), groups);
const BABS = '2819c223-7f76-453a-919d-413861904646';
const MANDY = '902c246b-6245-4190-8e05-00816be7344a';

describe('PATCH examples of RFC 7644 §3.5.2', () => {
  it('rfc7644 §3.5.2.1 add a member to a group', () => {
    const group = { ...RFC7643_8_4_GROUP, members: [] };
    const out = patchGroup(group, {
      op: 'add',
      path: 'members',
      value: [{ display: 'Babs Jensen', $ref: `https://example.com/v2/Users/${BABS}`, value: BABS }],
    });
    // display is readOnly in our Group schema: an echo is dropped, the server fills it in.
    expect(out.members).toEqual([{ $ref: `https://example.com/v2/Users/${BABS}`, value: BABS }]);
  });

  it('rfc7644 §3.5.2.1 add without path (emails and nickname)', () => {
    const out = patchUser(RFC7643_8_2_FULL_USER, {
      op: 'add',
      value: { emails: [{ value: 'babs@jensen.org', type: 'home' }], nickname: 'Babs' },
    });
    // babs@jensen.org/home is already there: no duplicate (rfc7644 §3.5.2.1 "no changes SHOULD be made")
    expect(out.emails).toEqual(RFC7643_8_2_FULL_USER.emails);
    expect(out.nickName).toBe('Babs');
    expect(out).not.toHaveProperty('nickname');
  });

  it('rfc7644 §3.5.2.1 add appends a new value to a multi-valued attribute', () => {
    const out = patchUser(RFC7643_8_2_FULL_USER, {
      op: 'add',
      path: 'emails',
      value: [{ value: 'b@other.org', type: 'other' }],
    });
    expect((out.emails as unknown[]).length).toBe(3);
  });

  it('rfc7644 §3.5.2.2 remove one member', () => {
    const out = patchGroup(RFC7643_8_4_GROUP, { op: 'remove', path: `members[value eq "${BABS}"]` });
    expect(out.members).toEqual([(RFC7643_8_4_GROUP.members as unknown[])[1]]);
  });

  it('rfc7644 §3.5.2.2 remove all members', () => {
    const out = patchGroup(RFC7643_8_4_GROUP, { op: 'remove', path: 'members' });
    expect(out).not.toHaveProperty('members');
  });

  it('rfc7644 §3.5.2.2 remove the last member leaves members unassigned', () => {
    const out = patchGroup(RFC7643_8_4_GROUP, {
      op: 'remove',
      path: `members[value eq "${BABS}" or value eq "${MANDY}"]`,
    });
    expect(out).not.toHaveProperty('members');
  });

  it('rfc7644 §3.5.2.2 remove by a complex filter on sub-attributes', () => {
    const out = patchUser(RFC7643_8_2_FULL_USER, {
      op: 'remove',
      path: 'emails[type eq "work" and value ew "example.com"]',
    });
    expect(out.emails).toEqual([{ value: 'babs@jensen.org', type: 'home' }]);
  });

  it('rfc7644 §3.5.2.2 remove all members then add new ones in one request', () => {
    const out = patchGroup(
      RFC7643_8_4_GROUP,
      { op: 'remove', path: 'members' },
      {
        op: 'add',
        path: 'members',
        value: [
          { display: 'Babs Jensen', $ref: `https://example.com/v2/Users/${BABS}`, value: BABS },
          {
            display: 'James Smith',
            $ref: 'https://example.com/v2/Users/08e1d05d-121c-4561-8b96-473d93df9210',
            value: '08e1d05d-121c-4561-8b96-473d93df9210',
          },
        ],
      },
    );
    expect((out.members as JsonObject[]).map((m) => m.value)).toEqual([
      BABS,
      '08e1d05d-121c-4561-8b96-473d93df9210',
    ]);
  });

  it('rfc7644 §3.5.2.2 remove without path is noTarget', () => {
    expect(() => patchUser(RFC7643_8_2_FULL_USER, { op: 'remove' })).toThrow(NoTargetError);
  });

  it('rfc7644 §3.5.2.3 replace all members', () => {
    const out = patchGroup(RFC7643_8_4_GROUP, {
      op: 'replace',
      path: 'members',
      value: [{ display: 'James Smith', $ref: 'https://example.com/v2/Users/08e1d05d', value: '08e1d05d' }],
    });
    expect(out.members).toEqual([{ $ref: 'https://example.com/v2/Users/08e1d05d', value: '08e1d05d' }]);
  });

  it('rfc7644 §3.5.2.3 replace the work address', () => {
    const value = {
      type: 'work',
      streetAddress: '911 Universal City Plaza',
      locality: 'Hollywood',
      region: 'CA',
      postalCode: '91608',
      country: 'US',
      formatted: '911 Universal City Plaza\nHollywood, CA 91608 US',
      primary: true,
    };
    const out = patchUser(RFC7643_8_2_FULL_USER, { op: 'replace', path: 'addresses[type eq "work"]', value });
    expect((out.addresses as unknown[])[0]).toEqual(value);
    expect((out.addresses as unknown[])[1]).toEqual((RFC7643_8_2_FULL_USER.addresses as unknown[])[1]);
  });

  it('rfc7644 §3.5.2.3 replace a sub-attribute of the filtered element', () => {
    const out = patchUser(RFC7643_8_2_FULL_USER, {
      op: 'replace',
      path: 'addresses[type eq "work"].streetAddress',
      value: '1010 Broadway Ave',
    });
    expect((out.addresses as JsonObject[])[0]!.streetAddress).toBe('1010 Broadway Ave');
    expect((out.addresses as JsonObject[])[0]!.locality).toBe('Hollywood');
  });

  it('rfc7644 §3.5.2.3 replace without path', () => {
    const out = patchUser(RFC7643_8_2_FULL_USER, {
      op: 'replace',
      value: {
        emails: [
          { value: 'bjensen@example.com', type: 'work', primary: true },
          { value: 'babs@jensen.org', type: 'home' },
        ],
        nickname: 'Babsy',
      },
    });
    expect(out.nickName).toBe('Babsy');
    expect(out.emails).toEqual(RFC7643_8_2_FULL_USER.emails);
  });

  it('rfc7644 §3.5.2.3 replace of a complex attribute keeps unspecified sub-attributes', () => {
    const out = patchUser(RFC7643_8_2_FULL_USER, {
      op: 'replace',
      path: 'name',
      value: { givenName: 'Babs' },
    });
    expect(out.name).toEqual({ ...(RFC7643_8_2_FULL_USER.name as JsonObject), givenName: 'Babs' });
  });

  it('rfc7644 §3.5.2.3 replace with a filter that matches nothing is noTarget', () => {
    expect(() =>
      patchUser(RFC7643_8_2_FULL_USER, {
        op: 'replace',
        path: 'emails[type eq "other"].value',
        value: 'x@y',
      }),
    ).toThrow(NoTargetError);
  });

  it('rfc7644 §3.12 remove with a filter that matches nothing is noTarget', () => {
    expect(() => patchGroup(RFC7643_8_4_GROUP, { op: 'remove', path: 'members[value eq "nobody"]' })).toThrow(
      NoTargetError,
    );
  });

  it('rfc7644 §3.5.2.3 replace of an attribute that does not exist adds it', () => {
    expect(
      patchUser(RFC7643_8_2_FULL_USER, { op: 'replace', path: 'name.middleName', value: 'J' }).name,
    ).toMatchObject({ middleName: 'J' });
    expect(
      patchUser(
        { schemas: RFC7643_8_2_FULL_USER.schemas, userName: 'x' },
        { op: 'replace', path: 'title', value: 'T' },
      ).title,
    ).toBe('T');
  });

  it('rfc7644 §3.5.2.1 add through a filter that matches nothing creates the element', () => {
    const out = patchUser(RFC7643_8_2_FULL_USER, {
      op: 'add',
      path: 'phoneNumbers[type eq "fax"].value',
      value: '555-1',
    });
    expect((out.phoneNumbers as unknown[])[2]).toEqual({ type: 'fax', value: '555-1' });
  });
});

describe('PATCH extensions (rfc7644 §3.5.2, rfc7643 §3.3)', () => {
  it('replaces an extension attribute by URN path', () => {
    const out = patchUser(RFC7643_8_3_ENTERPRISE_USER, {
      op: 'replace',
      path: `${ENTERPRISE}:department`,
      value: 'Sales',
    });
    expect((out[ENTERPRISE] as JsonObject).department).toBe('Sales');
  });

  it('replaces an extension sub-attribute by URN path', () => {
    const out = patchUser(RFC7643_8_3_ENTERPRISE_USER, {
      op: 'replace',
      path: `${ENTERPRISE}:manager.value`,
      value: 'boss',
    });
    expect((out[ENTERPRISE] as JsonObject).manager).toMatchObject({
      value: 'boss',
      displayName: 'John Smith',
    });
  });

  it('adds an extension with a no-path value keyed by URN and lists it in schemas', () => {
    const out = patchUser(RFC7643_8_2_FULL_USER, {
      op: 'add',
      value: { [ENTERPRISE]: { employeeNumber: '42' } },
    });
    expect(out[ENTERPRISE]).toEqual({ employeeNumber: '42' });
    expect(out.schemas).toEqual(['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE]);
  });

  it('removing the last extension attribute removes the extension and its schema URN', () => {
    const user = {
      ...RFC7643_8_2_FULL_USER,
      schemas: [...(RFC7643_8_2_FULL_USER.schemas as string[]), ENTERPRISE],
      [ENTERPRISE]: { employeeNumber: '1' },
    };
    const out = patchUser(user, { op: 'remove', path: `${ENTERPRISE}:employeeNumber` });
    expect(out).not.toHaveProperty(ENTERPRISE);
    expect(out.schemas).toEqual(['urn:ietf:params:scim:schemas:core:2.0:User']);
  });

  it('removes a whole extension by its URN', () => {
    const out = patchUser(RFC7643_8_3_ENTERPRISE_USER, { op: 'remove', path: ENTERPRISE });
    expect(out).not.toHaveProperty(ENTERPRISE);
    expect(out.schemas).toEqual(['urn:ietf:params:scim:schemas:core:2.0:User']);
  });

  it('rfc7644 §3.10 refuses an unqualified extension attribute', () => {
    expect(() =>
      patchUser(RFC7643_8_3_ENTERPRISE_USER, { op: 'replace', path: 'department', value: 'x' }),
    ).toThrow(InvalidPathError);
  });
});

describe('PATCH rules', () => {
  it('rfc7643 §2.4 setting primary on one element clears it on the others', () => {
    const out = patchUser(RFC7643_8_2_FULL_USER, {
      op: 'replace',
      path: 'emails[type eq "home"].primary',
      value: true,
    });
    expect((out.emails as JsonObject[]).map((e) => e.primary)).toEqual([false, true]);
    const added = patchUser(RFC7643_8_2_FULL_USER, {
      op: 'add',
      path: 'emails',
      value: { value: 'n@x.org', primary: true },
    });
    expect((added.emails as JsonObject[]).map((e) => e.primary ?? null)).toEqual([false, null, true]);
  });

  it('rfc7643 §2.4 two primaries in one value are invalidValue', () => {
    expect(() =>
      patchUser(RFC7643_8_2_FULL_USER, {
        op: 'replace',
        path: 'emails',
        value: [
          { value: 'a@x', primary: true },
          { value: 'b@x', primary: true },
        ],
      }),
    ).toThrow(InvalidValueError);
  });

  it('rfc7644 §3.5.2 readOnly attributes cannot be modified (mutability)', () => {
    expect(() => patchUser(RFC7643_8_2_FULL_USER, { op: 'replace', path: 'id', value: 'other' })).toThrow(
      MutabilityError,
    );
    expect(() => patchUser(RFC7643_8_2_FULL_USER, { op: 'remove', path: 'groups' })).toThrow(MutabilityError);
    expect(() =>
      patchUser(RFC7643_8_2_FULL_USER, {
        op: 'replace',
        path: 'meta.created',
        value: '2020-01-01T00:00:00Z',
      }),
    ).toThrow(MutabilityError);
  });

  it('an unchanged readOnly echo is accepted (id equal to the current one)', () => {
    expect(
      patchUser(RFC7643_8_2_FULL_USER, {
        op: 'replace',
        value: { id: RFC7643_8_2_FULL_USER.id, title: 'Boss' },
      }).title,
    ).toBe('Boss');
  });

  it('rfc7644 §3.5.2 immutable attributes may only be added when absent', () => {
    expect(() =>
      patchGroup(RFC7643_8_4_GROUP, { op: 'replace', path: `members[value eq "${BABS}"].value`, value: 'x' }),
    ).toThrow(MutabilityError);
    const registryWithImmutable = SchemaRegistry.withBuiltIns();
    registryWithImmutable.registerSchema({
      id: 'urn:example:params:scim:schemas:extension:acme:2.0:User',
      attributes: [{ name: 'badge', type: 'string', mutability: 'immutable' }],
    });
    registryWithImmutable.registerResourceType({
      name: 'Person',
      endpoint: '/People',
      schema: 'urn:ietf:params:scim:schemas:core:2.0:User',
      schemaExtensions: [
        { schema: 'urn:example:params:scim:schemas:extension:acme:2.0:User', required: false },
      ],
    });
    const people = registryWithImmutable.resourceType('Person');
    const acme = 'urn:example:params:scim:schemas:extension:acme:2.0:User';
    const base = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'p' };
    const withBadge = patchResource(base, body({ op: 'add', path: `${acme}:badge`, value: 'B1' }), people);
    expect(withBadge[acme]).toEqual({ badge: 'B1' });
    expect(() =>
      patchResource(withBadge, body({ op: 'replace', path: `${acme}:badge`, value: 'B2' }), people),
    ).toThrow(MutabilityError);
    expect(
      patchResource(withBadge, body({ op: 'replace', path: `${acme}:badge`, value: 'B1' }), people),
    ).toEqual(withBadge);
  });

  it('rfc7644 §3.5.2.2 removing a required attribute is a mutability error', () => {
    expect(() => patchUser(RFC7643_8_2_FULL_USER, { op: 'remove', path: 'userName' })).toThrow(
      MutabilityError,
    );
    expect(() => patchUser(RFC7643_8_2_FULL_USER, { op: 'replace', path: 'userName', value: null })).toThrow(
      MutabilityError,
    );
  });

  it('rfc7643 §2.5 replace with null removes', () => {
    expect(
      patchUser(RFC7643_8_2_FULL_USER, { op: 'replace', path: 'title', value: null }),
    ).not.toHaveProperty('title');
  });

  it('is atomic: a failing operation leaves the input untouched', () => {
    const input = cloneJson(RFC7643_8_2_FULL_USER);
    expect(() =>
      patchUser(
        input,
        { op: 'replace', path: 'displayName', value: 'Changed' },
        { op: 'replace', path: 'emails[type eq "nope"].value', value: 'x' },
      ),
    ).toThrow(NoTargetError);
    expect(input).toEqual(RFC7643_8_2_FULL_USER);
  });

  it('never mutates its input on success either', () => {
    const input = cloneJson(RFC7643_8_2_FULL_USER);
    const out = patchUser(input, { op: 'replace', path: 'name.givenName', value: 'B' });
    expect(input).toEqual(RFC7643_8_2_FULL_USER);
    expect(out).not.toBe(input);
  });

  it('matches attribute names case-insensitively and writes the schema spelling', () => {
    const out = patchUser(
      RFC7643_8_2_FULL_USER,
      { op: 'replace', path: 'NAME.GIVENNAME', value: 'B' },
      { op: 'add', path: 'EMAILS', value: { VALUE: 'q@x', TYPE: 'other' } },
    );
    expect((out.name as JsonObject).givenName).toBe('B');
    expect((out.emails as JsonObject[])[2]).toEqual({ value: 'q@x', type: 'other' });
  });

  const rejects: [string, unknown, new (...a: never[]) => Error][] = [
    ['body not an object', [], InvalidSyntaxError],
    ['missing PatchOp schema', { Operations: [{ op: 'add', value: {} }] }, InvalidSyntaxError],
    ['empty Operations', body(), InvalidSyntaxError],
    ['capitalised op in rfc dialect', body({ op: 'Replace', path: 'title', value: 'x' }), InvalidSyntaxError],
    ['unknown op', body({ op: 'move', path: 'title' }), InvalidSyntaxError],
    ['add without value', body({ op: 'add', path: 'title' }), InvalidSyntaxError],
    [
      'remove with value (would clear all members)',
      body({ op: 'remove', path: 'emails', value: [{ value: 'a' }] }),
      InvalidSyntaxError,
    ],
    ['unknown attribute in path', body({ op: 'replace', path: 'foo', value: 'x' }), InvalidPathError],
    ['unknown attribute in value', body({ op: 'replace', value: { foo: 'x' } }), InvalidSyntaxError],
    [
      'unknown sub-attribute in value',
      body({ op: 'replace', path: 'name', value: { foo: 'x' } }),
      InvalidSyntaxError,
    ],
    ['wrong type', body({ op: 'replace', path: 'active', value: 'yes' }), InvalidValueError],
    [
      'boolean string in rfc dialect',
      body({ op: 'replace', path: 'active', value: 'False' }),
      InvalidValueError,
    ],
    ['bad filter in path', body({ op: 'remove', path: 'emails[type eq]' }), InvalidFilterError],
    ['filter on simple attribute', body({ op: 'remove', path: 'userName[value eq "x"]' }), InvalidPathError],
    [
      'sub-attribute of multi-valued without filter',
      body({ op: 'replace', path: 'emails.value', value: 'x' }),
      InvalidPathError,
    ],
    ['path not a string', body({ op: 'remove', path: 5 }), InvalidSyntaxError],
    ['operation not an object', body(null), InvalidSyntaxError],
    [
      'too many operations',
      body(...Array.from({ length: 1001 }, () => ({ op: 'add', path: 'title', value: 'x' }))),
      PayloadTooLargeError,
    ],
    [
      'prototype key in value',
      JSON.parse(`{"schemas":["${PATCH_OP_URN}"],"Operations":[{"op":"add","value":{"__proto__":{"x":1}}}]}`),
      InvalidSyntaxError,
    ],
    ['constructor key in value', body({ op: 'add', value: { constructor: 'x' } }), InvalidSyntaxError],
  ];
  it.each(rejects)('rejects %s', (_name, request, type) => {
    expect(() => patchResource(RFC7643_8_2_FULL_USER, request, users)).toThrow(type);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});
