import {
  DEVICE_URN,
  ENTERPRISE_USER_URN,
  GROUP_URN,
  RESOURCE_TYPE_URN,
  SCHEMA_URN,
  USER_URN,
} from '../constants';
import { ConflictError, InvalidValueError, NotFoundError, UniquenessError } from '../errors/scim-error';
import { evaluateFilter } from '../filter/filter.evaluator';
import { parseFilter } from '../filter/filter.parser';
import { patchResource } from '../patch/patch.pipeline';
import { validateResource } from '../resource/resource.validator';
import { ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from './core-schemas';
import { DEVICE_SCHEMA } from './device-schema';
import { parseSchemaDefinition } from './schema.parser';
import { SchemaRegistry } from './schema.registry';
import { renderResourceType, renderSchema } from './schema.renderer';

describe('SchemaRegistry', () => {
  const registry = SchemaRegistry.withBuiltIns();

  it('ships User, Group, EnterpriseUser and the RFC 9944 Device', () => {
    expect(registry.listSchemas().map((s) => s.id)).toEqual([
      USER_URN,
      GROUP_URN,
      ENTERPRISE_USER_URN,
      DEVICE_URN,
    ]);
    expect(registry.listResourceTypes().map((t) => t.endpoint)).toEqual(['/Users', '/Groups', '/Devices']);
    expect(SchemaRegistry.withBuiltIns({ device: false }).listResourceTypes()).toHaveLength(2);
    expect(registry.resourceTypeByEndpoint('/users').name).toBe('User');
  });

  it('rfc7643 §8.7.1 characteristics of selected User attributes', () => {
    const rendered = renderSchema(USER_SCHEMA);
    const attrs = rendered.attributes as Record<string, unknown>[];
    const get = (n: string) => attrs.find((a) => a.name === n)!;
    expect(get('userName')).toEqual({
      name: 'userName',
      type: 'string',
      multiValued: false,
      description: expect.any(String),
      required: true,
      caseExact: false,
      mutability: 'readWrite',
      returned: 'default',
      uniqueness: 'server',
    });
    expect(get('password')).toMatchObject({ mutability: 'writeOnly', returned: 'never' });
    expect(get('groups')).toMatchObject({ mutability: 'readOnly', multiValued: true });
    expect(get('profileUrl')).toMatchObject({ type: 'reference', referenceTypes: ['external'] });
    expect(
      (get('emails').subAttributes as Record<string, unknown>[]).find((s) => s.name === 'type'),
    ).toMatchObject({ canonicalValues: ['work', 'home', 'other'] });
  });

  it('rfc9944 §3 Device core schema attributes', () => {
    const attrs = renderSchema(DEVICE_SCHEMA).attributes as Record<string, unknown>[];
    expect(attrs.map((a) => [a.name, a.type, a.required, a.caseExact ?? null, a.mutability])).toEqual([
      ['displayName', 'string', false, false, 'readWrite'],
      ['active', 'boolean', true, false, 'readWrite'],
      ['mudUrl', 'reference', false, true, 'readWrite'],
      ['groups', 'complex', false, null, 'readOnly'],
    ]);
  });

  it.each([USER_SCHEMA, GROUP_SCHEMA, ENTERPRISE_USER_SCHEMA, DEVICE_SCHEMA])(
    'rfc7643 §7 rendered $id parses back to the same definition',
    (schema) => {
      const rendered = renderSchema(schema, { baseUrl: 'https://hub/scim/v2' });
      expect(rendered).toMatchObject({
        schemas: [SCHEMA_URN],
        meta: { resourceType: 'Schema', location: `https://hub/scim/v2/Schemas/${schema.id}` },
      });
      expect(parseSchemaDefinition(rendered)).toEqual(schema);
    },
  );

  it('rfc7643 §6 resource type representation', () => {
    expect(renderResourceType(registry.resourceType('User').resourceType)).toEqual({
      schemas: [RESOURCE_TYPE_URN],
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      description: 'User Account',
      schema: USER_URN,
      schemaExtensions: [{ schema: ENTERPRISE_USER_URN, required: false }],
      meta: { resourceType: 'ResourceType', location: '/ResourceTypes/User' },
    });
  });

  describe('admin-defined schemas and resource types', () => {
    const tenant = SchemaRegistry.withBuiltIns();
    const ACME = 'urn:example:params:scim:schemas:extension:acme:2.0:Device';
    const APP = 'urn:example:params:scim:schemas:core:2.0:Application';
    tenant.registerSchema({
      id: ACME,
      name: 'AcmeDevice',
      attributes: [
        { name: 'serialNumber', type: 'string', caseExact: true, uniqueness: 'server', required: true },
        { name: 'purchased', type: 'dateTime' },
        { name: 'ports', type: 'integer', multiValued: true },
      ],
    });
    tenant.registerSchema({
      id: APP,
      attributes: [
        { name: 'appName', required: true },
        {
          name: 'owners',
          type: 'complex',
          multiValued: true,
          subAttributes: [{ name: 'value' }, { name: 'primary', type: 'boolean' }],
        },
      ],
    });
    tenant.registerResourceType({ name: 'Application', endpoint: '/Applications', schema: APP });
    tenant.registerResourceType({
      name: 'Gadget',
      endpoint: '/Gadgets',
      schema: DEVICE_URN,
      schemaExtensions: [{ schema: ACME, required: true }],
    });

    it('validates, filters and patches custom types like the core ones', () => {
      const gadgets = tenant.resourceType('Gadget');
      const gadget = validateResource(
        {
          schemas: [DEVICE_URN, ACME],
          active: true,
          [ACME]: { serialNumber: 'SN-1', purchased: '2024-01-01T00:00:00Z', ports: [80, 443] },
        },
        gadgets,
        { context: 'create' },
      );
      expect(
        evaluateFilter(
          parseFilter(`${ACME}:ports eq 443 and ${ACME}:purchased lt "2025-01-01T00:00:00Z"`),
          gadget,
          gadgets,
        ),
      ).toBe(true);
      expect(evaluateFilter(parseFilter(`${ACME}:serialNumber eq "sn-1"`), gadget, gadgets)).toBe(false); // caseExact
      const patched = patchResource(
        gadget,
        {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [{ op: 'add', path: `${ACME}:ports`, value: [8080] }],
        },
        gadgets,
      );
      expect(patched[ACME]).toMatchObject({ ports: [80, 443, 8080] });
      expect(() =>
        validateResource({ schemas: [DEVICE_URN], active: true }, gadgets, { context: 'create' }),
      ).toThrow(InvalidValueError);
      const apps = tenant.resourceType('Application');
      expect(
        validateResource({ schemas: [APP], appName: 'x', owners: [{ value: 'u1', primary: true }] }, apps, {
          context: 'create',
        }),
      ).toMatchObject({ appName: 'x' });
    });

    it('refuses invalid or conflicting definitions', () => {
      const bad: unknown[] = [
        { id: 'not-a-urn', attributes: [] },
        { id: 'urn:example:x:2.0', attributes: [] },
        { id: 'urn:example:x:Y', attributes: [{ name: '1abc' }] },
        { id: 'urn:example:x:Y', attributes: [{ name: '__proto__' }] },
        { id: 'urn:example:x:Y', attributes: [{ name: 'a' }, { name: 'A' }] },
        { id: 'urn:example:x:Y', attributes: [{ name: 'id' }] },
        { id: 'urn:example:x:Y', attributes: [{ name: 'a', type: 'float' }] },
        { id: 'urn:example:x:Y', attributes: [{ name: 'a', type: 'complex' }] },
        {
          id: 'urn:example:x:Y',
          attributes: [
            {
              name: 'a',
              type: 'complex',
              subAttributes: [{ name: 'b', type: 'complex', subAttributes: [{ name: 'c' }] }],
            },
          ],
        },
        { id: 'urn:example:x:Y', attributes: [{ name: 'a', subAttributes: [{ name: 'b' }] }] },
        { id: 'urn:example:x:Y', attributes: [{ name: 'a', mutability: 'writeOnly' }] },
        { id: 'urn:example:x:Y', attributes: [{ name: 'a', required: 'yes' }] },
        { id: 'urn:example:x:Y', attributes: 'nope' },
      ];
      for (const def of bad)
        expect(() => tenant.registerSchema(def)).toThrow(expect.objectContaining({ status: 400 }));
      expect(() => tenant.registerSchema(USER_SCHEMA)).toThrow(ConflictError);
      expect(() => tenant.registerResourceType({ name: 'User', endpoint: '/U2', schema: USER_URN })).toThrow(
        ConflictError,
      );
      expect(() =>
        tenant.registerResourceType({ name: 'Other', endpoint: '/Applications', schema: APP }),
      ).toThrow(UniquenessError);
      expect(() =>
        tenant.registerResourceType({ name: 'X', endpoint: '/X', schema: 'urn:example:missing:X' }),
      ).toThrow(InvalidValueError);
      expect(() => tenant.registerResourceType({ name: 'X', endpoint: 'no-slash', schema: APP })).toThrow(
        InvalidValueError,
      );
      expect(() => tenant.removeSchema(APP)).toThrow(ConflictError);
      expect(() => tenant.resourceType('Nope')).toThrow(NotFoundError);
    });
  });
});
