import {
  ENTERPRISE,
  RFC7643_8_2_FULL_USER,
  RFC7643_8_3_ENTERPRISE_USER,
  RFC7643_8_4_GROUP,
} from '../__fixtures__/rfc7643.fixtures';
import { PATCH_OP_URN } from '../constants';
import { InvalidSyntaxError, InvalidValueError, NoTargetError } from '../errors/scim-error';
import { SchemaRegistry } from '../schema/schema.registry';
import type { JsonObject } from '../util/json.util';
import { normalisePatch } from './patch.normaliser';
import { patchResource } from './patch.pipeline';
import { DEFAULT_PATCH_DIALECT, type PatchDialect } from './patch.types';

const registry = SchemaRegistry.withBuiltIns();
const users = registry.resourceType('User');
const groups = registry.resourceType('Group');
const body = (...Operations: unknown[]) => ({ schemas: [PATCH_OP_URN], Operations });
const run = (resource: JsonObject, dialect: PatchDialect, ...ops: unknown[]) =>
  patchResource(resource, body(...ops), resource === RFC7643_8_4_GROUP ? groups : users, { dialect });
const BABS = '2819c223-7f76-453a-919d-413861904646';

describe('PATCH dialects', () => {
  it('defaults to strict RFC', () => {
    expect(DEFAULT_PATCH_DIALECT).toBe('rfc');
    expect(() =>
      patchResource(RFC7643_8_2_FULL_USER, body({ op: 'Replace', path: 'title', value: 'x' }), users),
    ).toThrow(InvalidSyntaxError);
  });

  describe('entra', () => {
    it('accepts capitalised ops and string booleans', () => {
      const out = run(
        RFC7643_8_2_FULL_USER,
        'entra',
        { op: 'Replace', path: 'active', value: 'False' },
        { op: 'Add', path: 'emails[type eq "work"].primary', value: 'True' },
      );
      expect(out.active).toBe(false);
      expect((out.emails as JsonObject[])[0]!.primary).toBe(true);
    });

    it('string booleans inside a path-less value', () => {
      expect(run(RFC7643_8_2_FULL_USER, 'entra', { op: 'Replace', value: { active: 'false' } }).active).toBe(
        false,
      );
      expect(() => run(RFC7643_8_2_FULL_USER, 'entra', { op: 'Replace', value: { active: 'nope' } })).toThrow(
        InvalidValueError,
      );
    });

    it('turns a members remove with a value list into per-member removes', () => {
      const out = run(RFC7643_8_4_GROUP, 'entra', {
        op: 'Remove',
        path: 'members',
        value: [{ value: BABS }, { value: 'not-a-member' }],
      });
      expect((out.members as JsonObject[]).map((m) => m.value)).toEqual([
        '902c246b-6245-4190-8e05-00816be7344a',
      ]);
      expect(
        normalisePatch(body({ op: 'Remove', path: 'members', value: [{ value: BABS }] }), groups, {
          dialect: 'entra',
        }),
      ).toEqual([
        {
          op: 'remove',
          index: 0,
          ignoreNoTarget: true,
          path: {
            attrPath: { attr: 'members' },
            filter: { kind: 'compare', path: { attr: 'value' }, op: 'eq', value: BABS },
          },
        },
      ]);
    });

    it('splits dotted and URN-qualified keys of a path-less value', () => {
      const out = run(RFC7643_8_3_ENTERPRISE_USER, 'entra', {
        op: 'Replace',
        value: { 'name.givenName': 'X', [`${ENTERPRISE}:department`]: 'Sales', displayName: 'Y' },
      });
      expect(out.name).toMatchObject({ givenName: 'X', familyName: 'Jensen' });
      expect((out[ENTERPRISE] as JsonObject).department).toBe('Sales');
      expect(out.displayName).toBe('Y');
    });

    it('reads a bare manager id as {value}', () => {
      const out = run(RFC7643_8_3_ENTERPRISE_USER, 'entra', {
        op: 'Replace',
        path: `${ENTERPRISE}:manager`,
        value: 'boss-id',
      });
      expect((out[ENTERPRISE] as JsonObject).manager).toMatchObject({ value: 'boss-id' });
    });

    it('replace of a missing filtered element adds it', () => {
      const out = run(RFC7643_8_2_FULL_USER, 'entra', {
        op: 'Replace',
        path: 'phoneNumbers[type eq "fax"].value',
        value: '555',
      });
      expect((out.phoneNumbers as JsonObject[])[2]).toEqual({ type: 'fax', value: '555' });
      expect(() =>
        run(RFC7643_8_2_FULL_USER, 'rfc', {
          op: 'replace',
          path: 'phoneNumbers[type eq "fax"].value',
          value: '555',
        }),
      ).toThrow(NoTargetError);
    });
  });

  describe('okta', () => {
    it('drops the id Okta puts inside path-less values', () => {
      const out = run(RFC7643_8_2_FULL_USER, 'okta', {
        op: 'replace',
        value: { id: 'okta-sends-this', active: false },
      });
      expect(out.id).toBe(RFC7643_8_2_FULL_USER.id);
      expect(out.active).toBe(false);
      expect(() =>
        run(RFC7643_8_2_FULL_USER, 'rfc', { op: 'replace', value: { id: 'okta-sends-this', active: false } }),
      ).toThrow();
    });

    it('a filtered remove of an element already gone is a no-op', () => {
      const out = run(RFC7643_8_4_GROUP, 'okta', { op: 'remove', path: 'members[value eq "gone"]' });
      expect(out).toEqual(RFC7643_8_4_GROUP);
      expect(() => run(RFC7643_8_4_GROUP, 'rfc', { op: 'remove', path: 'members[value eq "gone"]' })).toThrow(
        NoTargetError,
      );
    });

    it('still rejects RFC violations Okta does not make', () => {
      expect(() =>
        run(RFC7643_8_2_FULL_USER, 'okta', { op: 'replace', path: 'active', value: 'False' }),
      ).toThrow(InvalidValueError);
    });
  });
});
