import fc from 'fast-check';
import { RFC7643_8_3_ENTERPRISE_USER, RFC7643_8_4_GROUP } from './__fixtures__/rfc7643.fixtures';
import { PATCH_OP_URN } from './constants';
import { ScimError } from './errors/scim-error';
import { evaluateFilter } from './filter/filter.evaluator';
import { parseFilter, parsePath } from './filter/filter.parser';
import { validateFilter } from './filter/filter.validator';
import { patchResource } from './patch/patch.pipeline';
import { projectResource } from './projection/attribute.projection';
import { validateResource } from './resource/resource.validator';
import { SchemaRegistry } from './schema/schema.registry';
import { sortResources } from './sort/sort.comparator';
import { cloneJson } from './util/json.util';

/** Hostile input may only ever produce ScimErrors that are client errors, never a crash or a 500. */
function onlyScimErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof ScimError)) throw e;
    if (e.status >= 500) throw e;
  }
}

const registry = SchemaRegistry.withBuiltIns();
const users = registry.resourceType('User');
const groups = registry.resourceType('Group');

const FILTER_PIECES = [
  'userName',
  'emails',
  'emails.value',
  'name.givenName',
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value',
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
  'meta.lastModified',
  'active',
  'members',
  '__proto__',
  'constructor',
  'eq',
  'ne',
  'co',
  'sw',
  'ew',
  'gt',
  'ge',
  'lt',
  'le',
  'pr',
  'and',
  'or',
  'not',
  'AND',
  '(',
  ')',
  '[',
  ']',
  '.',
  ' ',
  '"x"',
  '"',
  '"2011-05-13T04:42:34Z"',
  'true',
  'false',
  'null',
  '1',
  '-1.5e3',
  '1e999',
  '\\',
  '\u0000',
  '💥',
  'value',
  'type',
  '$ref',
  ':',
];
const pieced = fc.array(fc.constantFrom(...FILTER_PIECES), { maxLength: 30 }).map((p) => p.join(' '));
const glued = fc.array(fc.constantFrom(...FILTER_PIECES), { maxLength: 30 }).map((p) => p.join(''));
const anyText = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 100 }),
  pieced,
  glued,
);

const PATHS = [
  'members',
  'members[value eq "2819c223-7f76-453a-919d-413861904646"]',
  'emails[type eq "work"].value',
  'emails[type eq "work"]',
  'name',
  'name.givenName',
  'userName',
  'id',
  'meta',
  'groups',
  'password',
  'active',
  'emails',
  'x509Certificates',
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager',
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value',
  'emails[primary eq true].primary',
  '__proto__',
  'constructor',
  'members.value',
  '',
  'emails[',
  'addresses[type eq "work" and primary eq true].streetAddress',
];
const jsonish = fc.oneof(
  { maxDepth: 4 },
  fc.jsonValue({ maxDepth: 4 }),
  fc.constant(JSON.parse('{"__proto__": {"polluted": true}}')),
  fc.constant({ constructor: { prototype: { polluted: true } } }),
  fc.constant(1e308),
  fc.constant(Number.MAX_SAFE_INTEGER * 4),
  fc.constant(JSON.parse('['.repeat(5000) + ']'.repeat(5000))),
  fc.constant('True'),
  fc.constant({ value: 'x', primary: 'True' }),
  fc.constant([{ value: '2819c223-7f76-453a-919d-413861904646' }]),
);
const operation = fc.oneof(
  fc.record(
    {
      op: fc.constantFrom('add', 'remove', 'replace', 'Add', 'Remove', 'Replace', 'move', 1, null),
      path: fc.oneof(fc.constantFrom(...PATHS), anyText, fc.integer()),
      value: jsonish,
    },
    { requiredKeys: ['op'] },
  ),
  jsonish,
);
const patchBody = fc.oneof(
  fc.record({ schemas: fc.constant([PATCH_OP_URN]), Operations: fc.array(operation, { maxLength: 6 }) }),
  fc.record(
    {
      schemas: fc.oneof(fc.constant([PATCH_OP_URN]), jsonish),
      Operations: fc.oneof(jsonish, fc.array(operation, { maxLength: 3 })),
    },
    { requiredKeys: [] },
  ),
  jsonish,
);

describe('fuzz: malformed input only produces ScimErrors', () => {
  afterEach(() => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('filters', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        onlyScimErrors(() => {
          const ast = parseFilter(text);
          const validated = validateFilter(ast, users);
          evaluateFilter(validated, RFC7643_8_3_ENTERPRISE_USER, users);
        });
      }),
      { numRuns: 5000 },
    );
  });

  it('deep nesting and huge inputs', () => {
    for (const text of [
      '('.repeat(100000),
      `${'not ('.repeat(5000)}a pr${')'.repeat(5000)}`,
      `emails[${'emails['.repeat(1000)}`,
      '"'.repeat(100000),
      'a eq 1 or '.repeat(100000),
    ]) {
      onlyScimErrors(() => parseFilter(text));
      onlyScimErrors(() => parsePath(text));
    }
  });

  it('paths', () => {
    fc.assert(
      fc.property(anyText, (text) => onlyScimErrors(() => parsePath(text))),
      { numRuns: 3000 },
    );
  });

  it('PATCH bodies in every dialect', () => {
    fc.assert(
      fc.property(
        patchBody,
        fc.constantFrom('rfc', 'entra', 'okta') as fc.Arbitrary<'rfc' | 'entra' | 'okta'>,
        fc.boolean(),
        (b, dialect, group) => {
          const resource = cloneJson(group ? RFC7643_8_4_GROUP : RFC7643_8_3_ENTERPRISE_USER);
          onlyScimErrors(() => patchResource(resource, b, group ? groups : users, { dialect }));
          expect(resource).toEqual(group ? RFC7643_8_4_GROUP : RFC7643_8_3_ENTERPRISE_USER);
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('resource bodies', () => {
    const body = fc.oneof(
      jsonish,
      fc.dictionary(
        fc.constantFrom(
          'schemas',
          'userName',
          'emails',
          'name',
          'active',
          'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
          '__proto__',
          'id',
          'x',
        ),
        jsonish,
      ),
      jsonish.map((v) => ({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: 'a',
        emails: v,
      })),
    );
    fc.assert(
      fc.property(
        body,
        fc.constantFrom('create', 'replace') as fc.Arbitrary<'create' | 'replace'>,
        (b, context) => {
          onlyScimErrors(() =>
            validateResource(b, users, { context, existing: RFC7643_8_3_ENTERPRISE_USER }),
          );
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('projection and sorting parameters', () => {
    fc.assert(
      fc.property(anyText, anyText, (a, b) => {
        onlyScimErrors(() => projectResource(RFC7643_8_3_ENTERPRISE_USER, users, { attributes: a }));
        onlyScimErrors(() => projectResource(RFC7643_8_3_ENTERPRISE_USER, users, { excludedAttributes: b }));
        onlyScimErrors(() => sortResources([RFC7643_8_3_ENTERPRISE_USER, {}], a, b, users));
      }),
      { numRuns: 2000 },
    );
  });
});
