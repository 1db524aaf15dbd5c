import { ENTERPRISE, RFC7643_8_3_ENTERPRISE_USER } from '../__fixtures__/rfc7643.fixtures';
import { SchemaRegistry } from '../schema/schema.registry';
import { projectResource } from './attribute.projection';

const users = SchemaRegistry.withBuiltIns().resourceType('User');
const bjensen = RFC7643_8_3_ENTERPRISE_USER;
const keys = (o: object) => Object.keys(o).sort();

describe('projectResource (rfc7643 §2.2 returned, rfc7644 §3.9)', () => {
  it('default: everything but never-returned (password)', () => {
    const out = projectResource(bjensen, users);
    expect(out).not.toHaveProperty('password');
    expect(keys(out)).toEqual(keys(bjensen).filter((k) => k !== 'password'));
  });

  it('rfc7644 §3.9 attributes: id, schemas and meta always, plus what was asked', () => {
    const out = projectResource(bjensen, users, { attributes: 'userName,name.givenName,password' });
    expect(out).toEqual({
      schemas: bjensen.schemas,
      id: bjensen.id,
      meta: bjensen.meta,
      userName: bjensen.userName,
      name: { givenName: 'Barbara' },
    });
  });

  it('rfc7644 §3.9 attributes with an extension path and a whole extension', () => {
    expect(
      projectResource(bjensen, users, { attributes: [`${ENTERPRISE}:employeeNumber`] })[ENTERPRISE],
    ).toEqual({ employeeNumber: '701984' });
    expect(projectResource(bjensen, users, { attributes: [ENTERPRISE] })[ENTERPRISE]).toEqual(
      bjensen[ENTERPRISE],
    );
  });

  it('rfc7644 §3.9 excludedAttributes cannot remove always-returned attributes', () => {
    const out = projectResource(bjensen, users, {
      excludedAttributes: 'emails,id,name.familyName,' + ENTERPRISE,
    });
    expect(out).not.toHaveProperty('emails');
    expect(out).not.toHaveProperty(ENTERPRISE);
    expect(out.id).toBe(bjensen.id);
    expect(out.name).not.toHaveProperty('familyName');
    expect(out.name).toHaveProperty('givenName');
  });

  it('ignores names it cannot resolve and hostile keys', () => {
    const hostile = { ...bjensen, ...JSON.parse('{"__proto__": {"x": 1}, "constructor": 1}') };
    const out = projectResource(hostile, users, { attributes: 'nope,emails[type eq "x"],,userName' });
    expect(keys(out)).toEqual(['id', 'meta', 'schemas', 'userName']);
  });
});
