import fc from 'fast-check';
import { RFC7643_8_2_FULL_USER } from '../__fixtures__/rfc7643.fixtures';
import { PATCH_OP_URN } from '../constants';
import { ScimError } from '../errors/scim-error';
import { printValue } from '../filter/filter.printer';
import { SchemaRegistry } from '../schema/schema.registry';
import { cloneJson, type JsonObject } from '../util/json.util';
import { patchResource } from './patch.pipeline';

const users = SchemaRegistry.withBuiltIns().resourceType('User');
const body = (...Operations: unknown[]) => ({ schemas: [PATCH_OP_URN], Operations });

const email = fc.record(
  { value: fc.string({ minLength: 1, maxLength: 20 }), type: fc.constantFrom('work', 'home', 'other') },
  { requiredKeys: ['value'] },
);
const user = fc
  .record({
    userName: fc.string({ minLength: 1, maxLength: 10 }),
    title: fc.option(fc.string({ maxLength: 10 }), { nil: undefined }),
    emails: fc.uniqueArray(email, {
      maxLength: 5,
      selector: (e) => `${e.value.toLowerCase()}|${e.type ?? ''}`,
    }),
  })
  .map(({ userName, title, emails }) => {
    const u: JsonObject = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName };
    if (title !== undefined) u.title = title;
    if (emails.length) u.emails = emails;
    return u;
  });

describe('PATCH properties', () => {
  it('add of a new email then remove by value filter restores the resource', () => {
    fc.assert(
      fc.property(user, fc.string({ minLength: 1, maxLength: 20 }), (u, v) => {
        const existing = ((u.emails as JsonObject[]) ?? []).map((e) => String(e.value).toLowerCase());
        fc.pre(!existing.includes(v.toLowerCase()));
        const added = patchResource(
          u,
          body({ op: 'add', path: 'emails', value: [{ value: v, type: 'other' }] }),
          users,
        );
        expect((added.emails as unknown[]).length).toBe(existing.length + 1);
        const removed = patchResource(
          added,
          body({ op: 'remove', path: `emails[value eq ${printValue(v)}]` }),
          users,
        );
        expect(removed).toEqual(u);
      }),
      { numRuns: 500 },
    );
  });

  it('add then remove of an absent simple attribute restores the resource', () => {
    fc.assert(
      fc.property(
        user,
        fc.constantFrom('nickName', 'locale', 'displayName', 'NICKNAME'),
        fc.string({ minLength: 1 }),
        (u, attr, v) => {
          const out = patchResource(
            patchResource(u, body({ op: 'add', path: attr, value: v }), users),
            body({ op: 'remove', path: attr }),
            users,
          );
          expect(out).toEqual(u);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is atomic: when any operation fails the input is untouched and the error is a ScimError', () => {
    const good = fc.constantFrom<unknown>(
      { op: 'replace', path: 'displayName', value: 'X' },
      { op: 'add', path: 'emails', value: { value: 'n@x', primary: true } },
      { op: 'remove', path: 'title' },
      { op: 'replace', path: 'name.givenName', value: 'G' },
    );
    const bad = fc.constantFrom<unknown>(
      { op: 'replace', path: 'emails[type eq "nope"].value', value: 'x' },
      { op: 'remove', path: 'userName' },
      { op: 'replace', path: 'id', value: 'new' },
      { op: 'add', path: 'active', value: 'yes' },
      { op: 'remove', path: 'members' },
    );
    fc.assert(
      fc.property(
        fc.array(good, { maxLength: 4 }),
        bad,
        fc.array(good, { maxLength: 2 }),
        (before, failing, after) => {
          const input = cloneJson(RFC7643_8_2_FULL_USER);
          let error: unknown;
          try {
            patchResource(input, body(...before, failing, ...after), users);
          } catch (e) {
            error = e;
          }
          expect(error).toBeInstanceOf(ScimError);
          expect(input).toEqual(RFC7643_8_2_FULL_USER);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps at most one primary whatever is added', () => {
    fc.assert(
      fc.property(
        user,
        fc.array(fc.record({ value: fc.string({ minLength: 1, maxLength: 5 }), primary: fc.boolean() }), {
          maxLength: 4,
        }),
        (u, adds) => {
          let r = u;
          for (const a of adds) r = patchResource(r, body({ op: 'add', path: 'emails', value: a }), users);
          expect(
            ((r.emails as JsonObject[]) ?? []).filter((e) => e.primary === true).length,
          ).toBeLessThanOrEqual(1);
        },
      ),
      { numRuns: 300 },
    );
  });
});
