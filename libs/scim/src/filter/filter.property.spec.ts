import fc from 'fast-check';
import type { AttrPath, PatchPath } from '../path/path.types';
import { COMPARE_OPS, type FilterNode } from './filter.types';
import { parseFilter, parsePath } from './filter.parser';
import { printFilter, printPath } from './filter.printer';

const name = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,8}$/);
const urn = fc.constantFrom(
  'urn:ietf:params:scim:schemas:core:2.0:User',
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
  'urn:example:x-y:1.0:Thing',
);
const attrPath: fc.Arbitrary<AttrPath> = fc
  .record({
    uri: fc.option(urn, { nil: undefined }),
    attr: name,
    subAttr: fc.option(name, { nil: undefined }),
  })
  .map(({ uri, attr, subAttr }) => ({ ...(uri ? { uri } : {}), attr, ...(subAttr ? { subAttr } : {}) }));
const innerPath: fc.Arbitrary<AttrPath> = name.map((attr) => ({ attr }));
const value = fc.oneof(
  fc.string(),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (n === 0 ? 0 : n)),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
);

function tree(pathArb: fc.Arbitrary<AttrPath>, allowValuePath: boolean): fc.Arbitrary<FilterNode> {
  return fc.letrec<{ node: FilterNode }>((tie) => ({
    node: fc.oneof<fc.Arbitrary<FilterNode>[]>(
      { depthSize: 'small', withCrossShrink: true },
      fc.record({
        kind: fc.constant('compare' as const),
        path: pathArb,
        op: fc.constantFrom(...COMPARE_OPS),
        value,
      }),
      fc.record({ kind: fc.constant('present' as const), path: pathArb }),
      fc.record({
        kind: fc.constantFrom('and' as const, 'or' as const),
        left: tie('node'),
        right: tie('node'),
      }),
      fc.record({ kind: fc.constant('not' as const), filter: tie('node') }),
      ...(allowValuePath
        ? [
            fc.record({
              kind: fc.constant('valuePath' as const),
              path: attrPath.map(({ subAttr: _s, ...p }): AttrPath => p),
              filter: tree(innerPath, false),
            }),
          ]
        : []),
    ),
  })).node;
}

describe('filter properties', () => {
  it('parse(print(ast)) equals ast for any tree', () => {
    fc.assert(
      fc.property(tree(attrPath, true), (ast) => {
        const text = printFilter(ast);
        expect(parseFilter(text, { maxLength: 1e6, maxDepth: 1000 })).toEqual(ast);
      }),
      { numRuns: 1500 },
    );
  });

  it('print is a fixpoint: print(parse(print(ast))) equals print(ast)', () => {
    fc.assert(
      fc.property(tree(attrPath, true), (ast) => {
        const text = printFilter(ast);
        expect(printFilter(parseFilter(text, { maxLength: 1e6, maxDepth: 1000 }))).toBe(text);
      }),
      { numRuns: 500 },
    );
  });

  it('PATCH paths round-trip', () => {
    fc.assert(
      fc.property(
        attrPath,
        fc.option(tree(innerPath, false), { nil: undefined }),
        fc.option(name, { nil: undefined }),
        (p, filter, sub) => {
          const path: PatchPath = filter
            ? {
                attrPath: { ...(p.uri ? { uri: p.uri } : {}), attr: p.attr },
                filter,
                ...(sub ? { subAttr: sub } : {}),
              }
            : { attrPath: p };
          expect(parsePath(printPath(path), { maxLength: 1e6, maxDepth: 1000 })).toEqual(path);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
