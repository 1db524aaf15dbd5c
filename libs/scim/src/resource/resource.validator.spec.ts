import {
  ENTERPRISE,
  RFC7643_8_1_MINIMAL_USER,
  RFC7643_8_2_FULL_USER,
  RFC7643_8_3_ENTERPRISE_USER,
  RFC7643_8_4_GROUP,
} from '../__fixtures__/rfc7643.fixtures';
import { InvalidSyntaxError, InvalidValueError, MutabilityError } from '../errors/scim-error';
import { SchemaRegistry } from '../schema/schema.registry';
import type { JsonObject } from '../util/json.util';
import { validateResource } from './resource.validator';

const registry = SchemaRegistry.withBuiltIns();
const users = registry.resourceType('User');
const groups = registry.resourceType('Group');
const devices = registry.resourceType('Device');
const create = (input: unknown, schemas = users) => validateResource(input, schemas, { context: 'create' });

describe('validateResource', () => {
  it('rfc7643 §8.1 minimal user: readOnly id and meta are ignored on input', () => {
    expect(create(RFC7643_8_1_MINIMAL_USER)).toEqual({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: 'Bjensen',
    });
  });

  it('rfc7643 §8.2 full user is accepted; readOnly groups dropped, password kept for the server', () => {
    const out = create(RFC7643_8_2_FULL_USER);
    expect(out).not.toHaveProperty('groups');
    expect(out).not.toHaveProperty('id');
    expect(out.password).toBe('t1meMa$heen');
    expect(out.emails).toEqual(RFC7643_8_2_FULL_USER.emails);
  });

  it('rfc7643 §8.3 enterprise user: extension validated, readOnly manager.displayName dropped', () => {
    const out = create(RFC7643_8_3_ENTERPRISE_USER);
    expect(out.schemas).toEqual(['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE]);
    expect((out[ENTERPRISE] as JsonObject).manager).toEqual({
      value: '26118915-6090-4610-87e4-49d8ca9f808d',
      $ref: '../Users/26118915-6090-4610-87e4-49d8ca9f808d',
    });
  });

  it('rfc7643 §8.4 group', () => {
    expect(create(RFC7643_8_4_GROUP, groups).members).toHaveLength(2);
  });

  it('rfc9944 §3 device: active is required', () => {
    const device = {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Device'],
      displayName: 'BLE Heart Monitor',
      active: true,
      mudUrl: 'https://example.com/mud',
    };
    expect(create(device, devices)).toEqual(device);
    expect(() => create({ ...device, active: undefined }, devices)).toThrow(InvalidValueError);
  });

  it('canonicalises attribute names (case-insensitive, rfc7643 §2.1)', () => {
    expect(
      create({ schemas: [users.core.definition.id.toUpperCase()], USERNAME: 'a', Name: { GivenName: 'b' } }),
    ).toEqual({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: 'a',
      name: { givenName: 'b' },
    });
  });

  it('rfc7643 §2.5 null and empty arrays are unassigned', () => {
    expect(
      create({ schemas: RFC7643_8_1_MINIMAL_USER.schemas, userName: 'a', title: null, emails: [] }),
    ).toEqual({ schemas: RFC7643_8_1_MINIMAL_USER.schemas, userName: 'a' });
  });

  const invalid: [string, unknown, new (...a: never[]) => Error][] = [
    ['not an object', 'x', InvalidSyntaxError],
    ['no schemas', { userName: 'a' }, InvalidSyntaxError],
    ['unknown schema', { schemas: ['urn:x:y:Z'], userName: 'a' }, InvalidValueError],
    ['core schema missing', { schemas: [ENTERPRISE], userName: 'a' }, InvalidValueError],
    ['required userName missing', { schemas: RFC7643_8_1_MINIMAL_USER.schemas }, InvalidValueError],
    [
      'unknown attribute',
      { schemas: RFC7643_8_1_MINIMAL_USER.schemas, userName: 'a', shoeSize: 42 },
      InvalidSyntaxError,
    ],
    [
      'unknown sub-attribute',
      { schemas: RFC7643_8_1_MINIMAL_USER.schemas, userName: 'a', name: { nick: 'x' } },
      InvalidSyntaxError,
    ],
    ['wrong type', { schemas: RFC7643_8_1_MINIMAL_USER.schemas, userName: 42 }, InvalidValueError],
    [
      'single value for multi-valued',
      { schemas: RFC7643_8_1_MINIMAL_USER.schemas, userName: 'a', emails: { value: 'x' } },
      InvalidValueError,
    ],
    [
      'two primaries (rfc7643 §2.4)',
      {
        schemas: RFC7643_8_1_MINIMAL_USER.schemas,
        userName: 'a',
        emails: [
          { value: 'x', primary: true },
          { value: 'y', primary: true },
        ],
      },
      InvalidValueError,
    ],
    [
      'duplicate spelling',
      { schemas: RFC7643_8_1_MINIMAL_USER.schemas, userName: 'a', USERNAME: 'b' },
      InvalidSyntaxError,
    ],
    [
      'extension not listed in schemas',
      { schemas: RFC7643_8_1_MINIMAL_USER.schemas, userName: 'a', [ENTERPRISE]: { department: 'x' } },
      InvalidSyntaxError,
    ],
    [
      'unqualified extension attribute',
      { schemas: RFC7643_8_1_MINIMAL_USER.schemas, userName: 'a', department: 'x' },
      InvalidSyntaxError,
    ],
    [
      'binary not base64',
      {
        schemas: RFC7643_8_1_MINIMAL_USER.schemas,
        userName: 'a',
        x509Certificates: [{ value: 'not base64!' }],
      },
      InvalidValueError,
    ],
    [
      'huge number for integer-like',
      { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Device'], active: 1e308 },
      InvalidValueError,
    ],
    [
      '__proto__ key',
      JSON.parse(
        '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a","__proto__":{"polluted":1}}',
      ),
      InvalidSyntaxError,
    ],
    [
      'constructor key',
      { schemas: RFC7643_8_1_MINIMAL_USER.schemas, userName: 'a', constructor: {} },
      InvalidSyntaxError,
    ],
  ];
  it.each(invalid)('rejects %s', (_name, input, type) => {
    expect(() =>
      create(input, (input as JsonObject)?.schemas?.toString().includes('Device') ? devices : users),
    ).toThrow(type);
    expect(({} as JsonObject).polluted).toBeUndefined();
  });

  it('rfc7644 §3.5.1 replace: immutable values must match and cannot be dropped', () => {
    const reg = SchemaRegistry.withBuiltIns();
    reg.registerSchema({
      id: 'urn:example:params:scim:schemas:core:2.0:Badge',
      attributes: [{ name: 'serial', mutability: 'immutable' }, { name: 'label' }],
    });
    reg.registerResourceType({
      name: 'Badge',
      endpoint: '/Badges',
      schema: 'urn:example:params:scim:schemas:core:2.0:Badge',
    });
    const badges = reg.resourceType('Badge');
    const schemas = ['urn:example:params:scim:schemas:core:2.0:Badge'];
    const existing = { schemas, id: '1', serial: 'S1', label: 'a' };
    expect(validateResource({ schemas, label: 'b' }, badges, { context: 'replace', existing })).toEqual({
      schemas,
      serial: 'S1',
      label: 'b',
    });
    expect(validateResource({ schemas, serial: 'S1' }, badges, { context: 'replace', existing })).toEqual({
      schemas,
      serial: 'S1',
    });
    expect(() =>
      validateResource({ schemas, serial: 'S2' }, badges, { context: 'replace', existing }),
    ).toThrow(MutabilityError);
    expect(
      validateResource({ schemas, serial: 'S2' }, badges, {
        context: 'replace',
        existing: { schemas, id: '1' },
      }),
    ).toEqual({ schemas, serial: 'S2' });
  });
});
