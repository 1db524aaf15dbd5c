import { ENTERPRISE_USER_URN, SchemaRegistry } from '@hub/scim';
import { contributionAfterWrite } from './contribution-after-write';

const USERS = SchemaRegistry.withBuiltIns().resourceType('User');
const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User';

describe("contributionAfterWrite: a PATCH/PUT on the golden record becomes the source's own assertion", () => {
  const golden = {
    schemas: [CORE, ENTERPRISE_USER_URN],
    userName: 'fry',
    title: 'Delivery Boy', // from HR
    name: { givenName: 'Philip', familyName: 'Fry' }, // givenName from HR, familyName from LDAP
    emails: [{ value: 'fry@planetexpress.com', type: 'work' }], // from the mail SaaS
    [ENTERPRISE_USER_URN]: { department: 'Delivery' },
  };
  const hr = {
    schemas: [CORE],
    userName: 'fry',
    title: 'Delivery Boy',
    name: { givenName: 'Philip' },
  };

  it('takes only the changed units, never the values the client echoed from other sources', () => {
    const after = { ...golden, title: 'Captain', name: { givenName: 'Phil', familyName: 'Fry' } };
    const out = contributionAfterWrite(USERS, hr, golden, after);
    expect(out).toEqual({
      schemas: [CORE],
      userName: 'fry',
      title: 'Captain',
      name: { givenName: 'Phil' },
    });
    expect(out['emails']).toBeUndefined();
    expect(out[ENTERPRISE_USER_URN]).toBeUndefined();
  });

  it('withdraws what the client removed, also values of other sources it did not hold', () => {
    const { title: _t, emails: _e, ...after } = golden;
    const out = contributionAfterWrite(USERS, hr, golden, after);
    expect(out['title']).toBeUndefined();
    expect(out['emails']).toBeUndefined();
    expect(out['name']).toEqual({ givenName: 'Philip' });
  });

  it('keeps its own outranked value when the client echoes the golden one', () => {
    const own = { ...hr, title: 'Intern' };
    expect(contributionAfterWrite(USERS, own, golden, { ...golden })['title']).toBe('Intern');
  });

  it('a source writing to a record for the first time asserts only what it changed', () => {
    const after = { ...golden, nickName: 'Fry-guy' };
    expect(contributionAfterWrite(USERS, null, golden, after)).toEqual({
      schemas: [CORE],
      nickName: 'Fry-guy',
    });
  });

  it("with a single source the contribution is the client's new view", () => {
    const only = { schemas: [CORE], userName: 'bender', emails: [{ value: 'b@pe.com', type: 'work' }] };
    const after = { schemas: [CORE], userName: 'bender', displayName: 'Bender' };
    expect(contributionAfterWrite(USERS, only, only, after)).toEqual(after);
  });

  it('typed elements are separate units: changing the home email leaves the work one alone', () => {
    const g = {
      schemas: [CORE],
      userName: 'leela',
      emails: [
        { value: 'leela@pe.com', type: 'work' },
        { value: 'l@home.net', type: 'home' },
      ],
    };
    const own = { schemas: [CORE], emails: [{ value: 'l@home.net', type: 'home' }] };
    const after = { ...g, emails: [g.emails[0], { value: 'leela@home.net', type: 'home' }] };
    expect(contributionAfterWrite(USERS, own, g, after)).toEqual({
      schemas: [CORE],
      emails: [{ value: 'leela@home.net', type: 'home' }],
    });
  });
});
