import { ENTERPRISE_USER_URN, GROUP_URN, SchemaRegistry, USER_URN } from '@hub/scim';
import { ConnectorError } from '../connector.error';
import { AttributeMapper, toIsoDateTime } from './attribute-mapper';
import { jsonSourceView, readPath } from './source-view';

const view = (fields: Record<string, unknown>) => ({ field: (name: string) => fields[name] });

describe('AttributeMapper', () => {
  it('writes simple, sub-attribute, typed multi-valued and extension paths into one SCIM body', () => {
    const mapper = new AttributeMapper('User', {
      rules: [
        { target: 'userName', source: 'uid' },
        { target: 'name.givenName', source: 'givenName' },
        { target: 'name.familyName', source: 'sn' },
        { target: 'emails[type eq "work"].value', source: 'mail', primary: true },
        { target: 'phoneNumbers[type eq "work"].value', source: 'telephoneNumber' },
        { target: 'phoneNumbers[type eq "mobile"].value', source: 'mobile' },
        { target: 'addresses[type eq "work"].locality', source: 'l' },
        { target: 'addresses[type eq "work"].postalCode', source: 'postalCode' },
        { target: `${ENTERPRISE_USER_URN}:employeeNumber`, source: 'employeeNumber' },
        { target: `${ENTERPRISE_USER_URN}:manager.value`, source: 'managerId' },
        { target: 'active', constant: true },
        { target: 'userType', source: 'missing', default: 'Employee' },
      ],
    });
    const out = mapper.map(
      view({
        uid: ['professor'],
        givenName: ['Hubert'],
        sn: ['Farnsworth'],
        mail: ['professor@planetexpress.com', 'hubert@planetexpress.com'],
        telephoneNumber: '+1 555 0100',
        mobile: '+1 555 0199',
        l: 'New New York',
        postalCode: '10001',
        employeeNumber: '1',
        managerId: 'm-1',
      }),
    );
    expect(out).toEqual({
      schemas: [USER_URN, ENTERPRISE_USER_URN],
      userName: 'professor',
      name: { givenName: 'Hubert', familyName: 'Farnsworth' },
      emails: [
        { type: 'work', primary: true, value: 'professor@planetexpress.com' },
        { type: 'work', value: 'hubert@planetexpress.com' },
      ],
      phoneNumbers: [
        { type: 'work', value: '+1 555 0100' },
        { type: 'mobile', value: '+1 555 0199' },
      ],
      addresses: [{ type: 'work', locality: 'New New York', postalCode: '10001' }],
      [ENTERPRISE_USER_URN]: { employeeNumber: '1', manager: { value: 'm-1' } },
      active: true,
      userType: 'Employee',
    });
  });

  it('applies built-in transforms in order and hands other expressions to the hook', () => {
    const hook = jest.fn((expr: string, input: { value: unknown }) => `${expr}:${String(input.value)}`);
    const mapper = new AttributeMapper(
      'User',
      {
        rules: [
          { target: 'userName', source: 'mail', transform: ['first', 'trim', 'lower'] },
          { target: 'displayName', source: 'cn', transform: 'join(" / ")' },
          { target: 'title', source: 'title', transform: 'upper' },
          { target: 'nickName', source: 'uid', transform: 'custom(x)' },
        ],
      },
      { transform: hook },
    );
    const out = mapper.map(
      view({ mail: ['  Fry@Example.COM ', 'x'], cn: ['a', 'b'], title: 'boss', uid: 'fry' }),
    );
    expect(out).toMatchObject({
      userName: 'fry@example.com',
      displayName: 'a / b',
      title: 'BOSS',
      nickName: 'custom(x):fry',
    });
    expect(hook).toHaveBeenCalledWith('custom(x)', expect.objectContaining({ value: 'fry' }));
  });

  it('coerces LDAP strings to the schema type (boolean, integer, dateTime) and binary to base64', () => {
    const registry = SchemaRegistry.withBuiltIns();
    const mapper = new AttributeMapper(
      'User',
      {
        rules: [
          { target: 'active', source: 'enabled' },
          { target: 'x509Certificates.value', source: 'cert' },
          { target: 'timezone', source: 'tz' },
        ],
      },
      { schemas: registry.resourceType('User') },
    );
    expect(
      mapper.map(view({ enabled: 'TRUE', cert: Buffer.from([1, 2, 3]), tz: 'Europe/Paris' })),
    ).toMatchObject({
      active: true,
      x509Certificates: [{ value: 'AQID' }],
      timezone: 'Europe/Paris',
    });
    expect(toIsoDateTime('20240102030405Z')).toBe('2024-01-02T03:04:05.000Z');
    expect(toIsoDateTime('20240102030405.5+0100')).toBe('2024-01-02T02:04:05.500Z');
    expect(toIsoDateTime('not a time')).toBe('not a time');
  });

  it('maps groups and produces an empty body when nothing is present', () => {
    const mapper = new AttributeMapper('Group', { rules: [{ target: 'displayName', source: 'cn' }] });
    expect(mapper.map(view({ cn: 'ship_crew' }))).toEqual({ schemas: [GROUP_URN], displayName: 'ship_crew' });
    expect(mapper.map(view({}))).toEqual({});
    expect(mapper.sourceFields).toEqual(['cn']);
  });

  it.each([
    [{ target: 'nmae.givenName', source: 'x' }, /no such attribute/],
    [{ target: 'id', source: 'x' }, /read-only/],
    [{ target: 'emails[type co "w"].value', source: 'x' }, /only "sub eq value" terms/],
    [{ target: 'name[givenName eq "x"]', source: 'x' }, /multi-valued complex/],
    [{ target: 'emails[type eq "work"].nope', source: 'x' }, /has no nope/],
    [{ target: 'userName' }, /needs a source or a constant/],
    [{ target: 'userName', source: 'x', transform: 'shout' }, /Unknown transform/],
    [{ target: 'emails[type eq', source: 'x' }, /Mapping rule 1/],
  ])('refuses a bad rule %j as a config error', (rule, message) => {
    let error: unknown;
    try {
      new AttributeMapper('User', { rules: [rule] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConnectorError);
    expect((error as ConnectorError).kind).toBe('config');
    expect((error as ConnectorError).message).toMatch(message);
  });

  it('never writes through inherited keys', () => {
    const record = JSON.parse(
      '{"__proto__": {"polluted": "yes"}, "a": {"b": ["x", "y"]}, "list": [{"v": 1}, {"v": 2}]}',
    );
    expect(readPath(record, '__proto__.polluted')).toBe('yes'); // own key read as data
    expect(readPath({}, 'constructor')).toBeUndefined();
    expect(readPath(record, 'a.b.1')).toBe('y');
    expect(readPath(record, 'list.v')).toEqual([1, 2]);
    const mapper = new AttributeMapper('User', { rules: [{ target: 'emails', source: 'list' }] });
    const out = mapper.map(jsonSourceView({ list: [JSON.parse('{"value":"a@x","__proto__":{"evil":1}}')] }));
    expect(({} as Record<string, unknown>).evil).toBeUndefined();
    expect((out.emails as object[])[0]).toEqual(expect.objectContaining({ value: 'a@x' }));
    expect(Object.getPrototypeOf((out.emails as object[])[0])).toBe(Object.prototype);
  });
});
