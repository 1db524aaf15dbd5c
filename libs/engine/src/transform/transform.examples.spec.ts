import { contribution, ENT, HR, LDAP, ME, ruleSet, T0 } from '../__fixtures__/engine.fixtures';
import type { Contribution } from '../contribution/contribution.model';
import { computeGolden } from '../resolve/golden';
import type { TransformRule } from '../rules/rule.types';
import { asciiFold } from './transform.functions';
import { TRANSFORM_EXAMPLES } from './transform.examples';

const golden = (contributions: Contribution[], transforms: TransformRule[]) =>
  computeGolden({
    contributions,
    rules: ruleSet(
      [{ path: 'phoneNumbers[type eq "mobile"]', policy: 'priority', sources: [ME, HR] }],
      { policy: 'priority', sources: [HR, LDAP] },
      transforms,
    ),
    now: T0,
  });

describe('transform examples', () => {
  it('userName from a template: given.family@domain, lower-cased and ASCII-folded', async () => {
    const { resource, provenance, issues } = await golden(
      [contribution(HR, { userName: 'zoe', name: { givenName: 'Zoë', familyName: "O'Brien-Smith" } })],
      [TRANSFORM_EXAMPLES.userNameFromTemplate],
    );
    expect(resource['userName']).toBe('zoe.obrien-smith@example.com');
    expect(provenance.find((p) => p.path === 'userName')).toMatchObject({
      policy: 'priority',
      sources: [HR],
      transforms: ['userName'],
    });
    expect(issues).toEqual([]);
  });

  it('a failing transform leaves the attribute unset, says why, and the rest of the record stands', async () => {
    const { resource, issues } = await golden(
      [contribution(HR, { userName: 'amy', title: 'Intern', name: { givenName: 'Amy' } })],
      [TRANSFORM_EXAMPLES.userNameFromTemplate, TRANSFORM_EXAMPLES.displayNameFromParts],
    );
    expect(resource['userName']).toBeUndefined();
    expect(resource['title']).toBe('Intern');
    expect(resource['displayName']).toBe('Amy');
    expect(issues).toEqual([
      {
        kind: 'transform-failed',
        path: 'userName',
        message: 'userName needs name.givenName and name.familyName',
      },
    ]);
  });

  it('displayName from name parts fills in only when no source gives one', async () => {
    const parts = { name: { givenName: 'Philip', middleName: 'J.', familyName: 'Fry' } };
    const filled = await golden([contribution(HR, parts)], [TRANSFORM_EXAMPLES.displayNameFromParts]);
    expect(filled.resource['displayName']).toBe('Philip J. Fry');
    expect(filled.provenance.find((p) => p.path === 'displayName')).toMatchObject({
      policy: 'transform',
      rule: 'transforms[0]',
      sources: [],
    });
    const given = await golden(
      [contribution(HR, { ...parts, displayName: 'Fry' })],
      [TRANSFORM_EXAMPLES.displayNameFromParts],
    );
    expect(given.resource['displayName']).toBe('Fry');
  });

  it.each([
    ['+44 (0)20 7946 0958', '+442079460958'],
    ['020 7946 0958', '+442079460958'],
    ['0044 20 7946 0958', '+442079460958'],
    ['+1 555-0142-999', '+15550142999'],
    ['7946 0958', '+4479460958'],
  ])('E.164 mobile: %s → %s', async (raw, e164) => {
    const { resource } = await golden(
      [contribution(ME, { phoneNumbers: [{ value: raw, type: 'mobile' }] })],
      [TRANSFORM_EXAMPLES.e164Mobile],
    );
    expect(resource['phoneNumbers']).toEqual([{ value: e164, type: 'mobile' }]);
  });

  it('E.164 mobile: each mobile number on its own; a bad one is dropped with the reason, the work number untouched', async () => {
    const { resource, issues } = await golden(
      [
        contribution(HR, {
          phoneNumbers: [
            { value: '07700 900123', type: 'mobile' },
            { value: 'call me', type: 'mobile', primary: true },
            { value: '020 7946 0000', type: 'work' },
          ],
        }),
      ],
      [TRANSFORM_EXAMPLES.e164Mobile],
    );
    expect(resource['phoneNumbers']).toEqual([
      { value: '020 7946 0000', type: 'work' },
      { value: '+447700900123', type: 'mobile' },
    ]);
    expect(issues).toEqual([
      {
        kind: 'transform-failed',
        path: 'phoneNumbers[type eq "mobile"].value',
        message: 'not a phone number: call me',
      },
    ]);
  });

  it('department code → name through the lookup table in the rule config', async () => {
    const known = await golden(
      [contribution(HR, { [ENT]: { department: 'D200', employeeNumber: '1' } })],
      [TRANSFORM_EXAMPLES.departmentName],
    );
    expect(known.resource[ENT]).toEqual({ employeeNumber: '1', department: 'Engineering' });
    const unknown = await golden(
      [contribution(HR, { [ENT]: { department: 'D999', employeeNumber: '1' } })],
      [TRANSFORM_EXAMPLES.departmentName],
    );
    expect(unknown.resource[ENT]).toEqual({ employeeNumber: '1' });
    expect(unknown.issues[0]!.message).toBe('unknown department code D999');
    const none = await golden([contribution(HR, { userName: 'x' })], [TRANSFORM_EXAMPLES.departmentName]);
    expect(none.issues).toEqual([]);
  });

  it('a result of the wrong type is refused against the schema', async () => {
    const { resource, issues } = await golden(
      [contribution(HR, { userName: 'x' })],
      [{ path: 'active', expression: '"yes"' }],
    );
    expect(resource['active']).toBeUndefined();
    expect(issues[0]!.message).toBe('active must be a boolean, got string');
  });

  it('transforms see what earlier transforms produced', async () => {
    const { resource } = await golden(
      [contribution(HR, { name: { givenName: 'Hubert', familyName: 'Farnsworth' } })],
      [
        { path: 'nickName', expression: '"Professor"' },
        { path: 'displayName', expression: 'nickName & " " & name.familyName' },
      ],
    );
    expect(resource['displayName']).toBe('Professor Farnsworth');
  });

  it('asciiFold', () => {
    expect(asciiFold('Zoë Ærøskøbing Łódź Straße Þór')).toBe('Zoe AEroskobing Lodz Strasse THor');
  });
});
