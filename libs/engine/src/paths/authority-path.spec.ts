import { ENT, USERS } from '../__fixtures__/engine.fixtures';
import { ancestorKeys, parseAuthorityPath, requireUnit } from './authority-path';
import { UnitIndex } from './unit-index';

describe('parseAuthorityPath', () => {
  it.each([
    ['userName', 'userName'],
    ['USERNAME', 'userName'],
    ['name.givenname', 'name.givenName'],
    ['emails[type eq "work"]', 'emails[type eq "work"]'],
    ['Emails[TYPE eq "Work"]', 'emails[type eq "work"]'],
    ['emails[type eq "work"].value', 'emails[type eq "work"].value'],
    ['phoneNumbers[type eq "mobile"]', 'phoneNumbers[type eq "mobile"]'],
    ['emails[type eq null]', 'emails[type eq null]'],
    ['emails[type eq "Custom"]', 'emails[type eq "custom"]'],
    [`${ENT}:department`, `${ENT}:department`],
    [`${ENT}:manager.value`, `${ENT}:manager.value`],
    [ENT, ENT],
  ])('%s → %s', (text, key) => {
    const r = parseAuthorityPath(text, USERS);
    if (!r.ok) throw new Error(r.message);
    expect(r.target.kind === 'unit' ? r.target.unit.key : r.target.key).toBe(key);
  });

  it.each([
    ['emails[type eq "work"].valu', 'unknown attribute "emails[type eq \\"work\\"].valu" in User'],
    ['nickname.x', 'unknown attribute "nickname.x" in User'],
    ['bogus', 'unknown attribute "bogus" in User'],
    ['id', '"id" is maintained by the hub'],
    ['externalId', '"externalId" belongs to each source'],
    ['groups', '"groups" is read-only'],
    ['emails.value', 'name the typed elements, e.g. emails[type eq "work"].value'],
    ['emails[value eq "x"]', 'the value filter must be type eq "<value>" or type eq null'],
    ['emails[type sw "w"]', 'the value filter must be type eq'],
    ['name[type eq "x"]', '"name" has no typed elements to select'],
    ['emails[type eq "work"].type', '"type" selects the elements'],
    ['emails[', 'invalid path'],
  ])('%s is refused: %s', (text, message) => {
    const r = parseAuthorityPath(text, USERS);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain(message);
  });

  it('orders ancestors from the most specific to the extension', () => {
    expect(ancestorKeys(requireUnit('emails[type eq "work"].value', USERS))).toEqual([
      'emails[type eq "work"].value',
      'emails[type eq "work"]',
      'emails',
    ]);
    expect(ancestorKeys(requireUnit(`${ENT}:manager.value`, USERS))).toEqual([
      `${ENT}:manager.value`,
      `${ENT}:manager`,
      ENT,
    ]);
  });
});

describe('UnitIndex', () => {
  const fry = {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENT],
    id: 'ignored',
    externalId: 'ignored',
    meta: { resourceType: 'User' },
    UserName: 'fry',
    name: { GivenName: 'Philip', familyName: 'Fry', middleName: null },
    emails: [
      { value: 'fry@planetexpress.com', type: 'Work', primary: true },
      { value: 'fry@home.example', type: 'home' },
      { value: 'fry2@planetexpress.com', type: 'work' },
      { value: 'untyped@example.com' },
    ],
    phoneNumbers: { value: '+1 555 0100', type: 'mobile' },
    title: '',
    groups: [{ value: 'g1' }],
    [ENT]: { employeeNumber: '42', manager: { value: 'boss' } },
  };

  it('decomposes into units: typed elements per type, untyped apart, extensions by URN, empties dropped', () => {
    const { units, issues } = new UnitIndex(USERS).decompose(fry);
    expect([...units.keys()].sort()).toEqual(
      [
        'userName',
        'name',
        'emails[type eq "work"]',
        'emails[type eq "home"]',
        'emails[type eq null]',
        'phoneNumbers[type eq "mobile"]',
        `${ENT}:employeeNumber`,
        `${ENT}:manager`,
      ].sort(),
    );
    expect(units.get('name')!.value).toEqual({ givenName: 'Philip', familyName: 'Fry' });
    expect(units.get('emails[type eq "work"]')!.value).toHaveLength(2);
    expect(units.get('phoneNumbers[type eq "mobile"]')!.value).toEqual([
      { value: '+1 555 0100', type: 'mobile' },
    ]);
    expect(issues).toEqual([]);
  });

  it('splits complex and typed units into sub-attributes when the rules name one', () => {
    const index = new UnitIndex(USERS, { attributes: ['name'], elements: ['emails[type eq "work"]'] });
    const { units, issues } = index.decompose(fry);
    expect(units.get('name.givenName')!.value).toBe('Philip');
    expect(units.get('name.familyName')!.value).toBe('Fry');
    expect(units.has('name')).toBe(false);
    expect(units.get('emails[type eq "work"].value')!.value).toBe('fry@planetexpress.com');
    expect(units.get('emails[type eq "work"].primary')!.value).toBe(true);
    expect(issues).toEqual([
      { path: 'emails[type eq "work"]', message: '2 elements; only the first is used' },
    ]);
  });

  it('composes in schema order with schemas first and types ordered; round trip is stable', () => {
    const index = new UnitIndex(USERS);
    const composed = index.compose(index.decompose(fry).units.values());
    expect(Object.keys(composed)).toEqual(['schemas', 'userName', 'name', 'emails', 'phoneNumbers', ENT]);
    expect(composed['schemas']).toEqual(['urn:ietf:params:scim:schemas:core:2.0:User', ENT]);
    expect((composed['emails'] as { value: string }[]).map((e) => e.value)).toEqual([
      'fry@planetexpress.com',
      'fry2@planetexpress.com',
      'fry@home.example',
      'untyped@example.com',
    ]);
    expect(index.compose(index.decompose(composed).units.values())).toEqual(composed);
  });

  it('keeps one primary per attribute when units from different sources each carry one', () => {
    const index = new UnitIndex(USERS);
    const a = index.decompose({ emails: [{ value: 'h@x', type: 'home', primary: true }] }).units;
    const b = index.decompose({ emails: [{ value: 'w@x', type: 'work', primary: true }] }).units;
    const composed = index.compose([...a.values(), ...b.values()]);
    expect(composed['emails']).toEqual([
      { value: 'w@x', type: 'work', primary: true },
      { value: 'h@x', type: 'home' },
    ]);
  });

  it('reports what it leaves out', () => {
    const { issues } = new UnitIndex(USERS).decompose({ bogus: 1, title: 5, [ENT]: 'x' });
    expect(issues).toEqual([
      { path: 'bogus', message: 'unknown attribute' },
      { path: 'title', message: 'title must be a string, got number' },
      { path: ENT, message: 'must be an object' },
    ]);
  });

  it('reads match values case-insensitively', () => {
    const index = new UnitIndex(USERS);
    expect(index.readValues(fry, requireUnit('emails[type eq "work"].value', USERS))).toEqual([
      'fry@planetexpress.com',
      'fry2@planetexpress.com',
    ]);
    expect(index.readValues(fry, requireUnit(`${ENT}:employeeNumber`, USERS))).toEqual(['42']);
    expect(index.readValues(fry, requireUnit('userName', USERS))).toEqual(['fry']);
  });
});
