import { buildTenantRegistry } from './tenant-registry';

const EXT = 'urn:example:params:scim:schemas:extension:acme:2.0:User';
const extension = {
  id: EXT,
  name: 'AcmeUser',
  attributes: [{ name: 'badgeNumber', type: 'string', multiValued: false, required: false }],
};

describe('buildTenantRegistry', () => {
  it('has the built-ins, and a stored User entry only adds its extension to the built-in', () => {
    const registry = buildTenantRegistry([
      { kind: 'schema', key: EXT, definition: extension },
      {
        kind: 'resourceType',
        key: 'User',
        definition: { schemaExtensions: [{ schema: EXT, required: false }] },
      },
    ]);
    expect(registry.listResourceTypes().map((t) => t.name)).toEqual(
      expect.arrayContaining(['User', 'Group', 'Device']),
    );
    const user = registry.resourceType('User');
    expect(user.findSchema(EXT)).toBeTruthy();
    expect(user.findAttribute(user.core, 'userName')).toBeTruthy();
  });

  it('skips an invalid stored definition in lenient mode, and says which', () => {
    const skipped: string[] = [];
    const registry = buildTenantRegistry(
      [{ kind: 'schema', key: 'urn:bad', definition: { id: 'not a urn' } }],
      {
        onSkip: (what) => skipped.push(what),
      },
    );
    expect(skipped).toEqual(['urn:bad']);
    expect(registry.resourceType('User')).toBeTruthy();
  });

  it('throws on an invalid stored definition in strict mode', () => {
    expect(() =>
      buildTenantRegistry([{ kind: 'schema', key: 'urn:bad', definition: { id: 'not a urn' } }], {
        strict: true,
      }),
    ).toThrow();
  });
});
