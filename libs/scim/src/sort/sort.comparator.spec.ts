import { InvalidValueError } from '../errors/scim-error';
import { SchemaRegistry } from '../schema/schema.registry';
import type { JsonObject } from '../util/json.util';
import { createSortComparator, sortResources } from './sort.comparator';

const users = SchemaRegistry.withBuiltIns().resourceType('User');
const S = ['urn:ietf:params:scim:schemas:core:2.0:User'];
const u = (userName: string, extra: JsonObject = {}): JsonObject => ({ schemas: S, userName, ...extra });
const names = (list: JsonObject[]) => list.map((r) => r.userName);

describe('sorting (rfc7644 §3.4.2.3)', () => {
  const list = [u('bob'), u('Alice'), u('carol', { title: 'B' }), u('dave', { title: 'a' })];

  it('case-insensitive strings by default, ascending', () => {
    expect(names(sortResources(list, 'userName', undefined, users))).toEqual([
      'Alice',
      'bob',
      'carol',
      'dave',
    ]);
  });

  it('caseExact attributes sort by code unit', () => {
    const l = [u('x', { externalId: 'b' }), u('y', { externalId: 'B' }), u('z', { externalId: 'a' })];
    expect(names(sortResources(l, 'externalId', 'ascending', users))).toEqual(['y', 'z', 'x']);
  });

  it('resources without the attribute sort last ascending and first descending', () => {
    expect(names(sortResources(list, 'title', 'ascending', users))).toEqual([
      'dave',
      'carol',
      'bob',
      'Alice',
    ]);
    expect(names(sortResources(list, 'title', 'descending', users))).toEqual([
      'bob',
      'Alice',
      'carol',
      'dave',
    ]);
  });

  it('multi-valued attributes sort by the primary value, else the first', () => {
    const l = [
      u('a', { emails: [{ value: 'z@x' }, { value: 'a@x', primary: true }] }),
      u('b', { emails: [{ value: 'm@x' }] }),
    ];
    expect(names(sortResources(l, 'emails', undefined, users))).toEqual(['a', 'b']);
    expect(names(sortResources(l, 'emails.value', 'descending', users))).toEqual(['b', 'a']);
  });

  it('dateTime chronologically and booleans false first', () => {
    const l = [
      u('a', { meta: { created: '2011-05-13T04:42:34+02:00' } }),
      u('b', { meta: { created: '2011-05-13T03:42:34Z' } }),
    ];
    expect(names(sortResources(l, 'meta.created', undefined, users))).toEqual(['a', 'b']);
    const c = createSortComparator('active', undefined, users);
    expect([u('t', { active: true }), u('f', { active: false })].sort(c).map((r) => r.userName)).toEqual([
      'f',
      't',
    ]);
  });

  it('rejects unknown attributes, password and bad sortOrder', () => {
    expect(() => createSortComparator('nope', undefined, users)).toThrow(InvalidValueError);
    expect(() => createSortComparator('password', undefined, users)).toThrow(InvalidValueError);
    expect(() => createSortComparator('userName', 'sideways', users)).toThrow(InvalidValueError);
    expect(() => createSortComparator('emails[type eq "x"]', undefined, users)).toThrow(InvalidValueError);
  });
});
