import { InvalidFilterError } from '../errors/scim-error';
import type { AttrPath } from '../path/path.types';
import {
  findSubAttribute,
  type ResolvedTarget,
  type ResourceTypeSchemas,
} from '../schema/resource-type-schemas';
import {
  isCaseExact,
  type AttributeDefinition,
  type ComplexAttribute,
  type SimpleAttribute,
} from '../schema/schema.types';
import { isDateTime } from '../values/value.compare';
import { printAttrPath } from './filter.printer';
import type { CompValue, CompareOp, FilterNode, ResolvedAttribute } from './filter.types';

const validatedRoots = new WeakSet<FilterNode>();

/** True for trees returned by validateFilter (their nodes carry `attr`). */
export function isValidatedFilter(node: FilterNode): boolean {
  return validatedRoots.has(node);
}

/**
 * Checks a parsed filter against a resource type (attributes exist, operator allowed for the
 * type, value of the right type) and returns a copy whose attribute nodes carry the resolved
 * attribute. Errors are `invalidFilter`.
 */
export function validateFilter(node: FilterNode, schemas: ResourceTypeSchemas): FilterNode {
  const out = validateNode(node, schemas, undefined);
  validatedRoots.add(out);
  return out;
}

/** Validates the filter of a PATCH value path against its multi-valued attribute. */
export function validateValueFilter(
  node: FilterNode,
  target: ResolvedTarget & { kind: 'attribute' },
): FilterNode {
  if (target.attribute.type !== 'complex')
    throw new InvalidFilterError(`${target.attribute.name} has no sub-attributes to filter on`);
  return validateNode(node, undefined, {
    parent: target.attribute,
    schema: target.schema.definition.id,
    extension: target.schema.extension,
  });
}

interface ValueScope {
  readonly parent: ComplexAttribute;
  readonly schema: string;
  readonly extension: boolean;
}

function validateNode(
  node: FilterNode,
  schemas: ResourceTypeSchemas | undefined,
  scope: ValueScope | undefined,
): FilterNode {
  switch (node.kind) {
    case 'and':
    case 'or':
      return {
        kind: node.kind,
        left: validateNode(node.left, schemas, scope),
        right: validateNode(node.right, schemas, scope),
      };
    case 'not':
      return { kind: 'not', filter: validateNode(node.filter, schemas, scope) };
    case 'valuePath': {
      if (scope || !schemas) throw new InvalidFilterError('Value filters cannot be nested');
      const target = schemas.resolve(node.path);
      if (
        !target ||
        target.kind !== 'attribute' ||
        target.subAttribute ||
        target.attribute.type !== 'complex'
      ) {
        throw new InvalidFilterError(
          `${printAttrPath(node.path)} is not a complex attribute that can take a value filter`,
        );
      }
      const inner: ValueScope = {
        parent: target.attribute,
        schema: target.schema.definition.id,
        extension: target.schema.extension,
      };
      return {
        kind: 'valuePath',
        path: node.path,
        filter: validateNode(node.filter, undefined, inner),
        attr: resolved(inner.schema, inner.extension, target.attribute, undefined, {}),
      };
    }
    case 'present':
    case 'compare': {
      const attr = scope
        ? resolveInScope(node.path, scope)
        : resolveTop(node.path, schemas!, node.kind === 'compare');
      if (node.kind === 'present') return { kind: 'present', path: node.path, attr };
      checkOperator(node.path, node.op, node.value, attr);
      return { kind: 'compare', path: node.path, op: node.op, value: node.value, attr };
    }
  }
}

function resolveTop(path: AttrPath, schemas: ResourceTypeSchemas, comparing: boolean): ResolvedAttribute {
  const target = schemas.resolve(path);
  if (!target) throw new InvalidFilterError(`Unknown attribute ${printAttrPath(path)}`);
  if (target.kind === 'extension')
    throw new InvalidFilterError(`${printAttrPath(path)} names a schema, not an attribute`);
  const { attribute, subAttribute } = target;
  const urn = target.schema.definition.id;
  refuseHidden(path, subAttribute ?? attribute);
  if (attribute.type === 'complex' && !subAttribute && comparing) {
    // RFC 7644 §3.4.2.2 compares `emails co "example.com"` against the `value` sub-attribute.
    const value = findSubAttribute(attribute, 'value');
    if (!value)
      throw new InvalidFilterError(`${printAttrPath(path)} is complex: name one of its sub-attributes`);
    refuseHidden(path, value);
    return resolved(urn, target.schema.extension, attribute, value, { implicitValue: true });
  }
  return resolved(urn, target.schema.extension, attribute, subAttribute, {});
}

function resolveInScope(path: AttrPath, scope: ValueScope): ResolvedAttribute {
  const sub =
    path.uri === undefined && path.subAttr === undefined
      ? findSubAttribute(scope.parent, path.attr)
      : undefined;
  if (!sub)
    throw new InvalidFilterError(`${printAttrPath(path)} is not a sub-attribute of ${scope.parent.name}`);
  refuseHidden(path, sub);
  return resolved(scope.schema, scope.extension, scope.parent, sub, { withinValuePath: true });
}

/** Filtering on a never-returned attribute (password) would let clients probe its value. */
function refuseHidden(path: AttrPath, attr: AttributeDefinition): void {
  if (attr.returned === 'never' || attr.mutability === 'writeOnly') {
    throw new InvalidFilterError(`${printAttrPath(path)} cannot be used in a filter`);
  }
}

function resolved(
  schema: string,
  extension: boolean,
  attribute: AttributeDefinition,
  sub: SimpleAttribute | undefined,
  flags: { implicitValue?: boolean; withinValuePath?: boolean },
): ResolvedAttribute {
  const leaf = sub ?? attribute;
  return {
    schema,
    extension,
    attribute: attribute.name,
    ...(sub ? { subAttribute: sub.name } : {}),
    type: leaf.type,
    caseExact: isCaseExact(leaf),
    multiValued: attribute.multiValued,
    ...(flags.implicitValue ? { implicitValue: true } : {}),
    ...(flags.withinValuePath ? { withinValuePath: true } : {}),
    jsonPath: [...(extension ? [schema] : []), attribute.name, ...(sub ? [sub.name] : [])],
  };
}

const ORDERING: ReadonlySet<CompareOp> = new Set(['gt', 'ge', 'lt', 'le']);
const SUBSTRING: ReadonlySet<CompareOp> = new Set(['co', 'sw', 'ew']);

/** RFC 7644 §3.4.2.2: which operators and values make sense for which attribute types. */
function checkOperator(path: AttrPath, op: CompareOp, value: CompValue, attr: ResolvedAttribute): void {
  const name = printAttrPath(path);
  const fail = (why: string) => new InvalidFilterError(`${name} ${op}: ${why}`);
  if (attr.type === 'complex') throw fail('a complex attribute cannot be compared');
  if (value === null) {
    if (op !== 'eq' && op !== 'ne') throw fail('null can only be compared with eq or ne');
    return;
  }
  switch (attr.type) {
    case 'boolean':
      if (op !== 'eq' && op !== 'ne') throw fail('booleans only support eq, ne and pr');
      if (typeof value !== 'boolean') throw fail('expected true or false');
      return;
    case 'binary':
      if (ORDERING.has(op)) throw fail('binary attributes cannot be ordered');
      if (typeof value !== 'string') throw fail('expected a string');
      return;
    case 'integer':
    case 'decimal':
      if (SUBSTRING.has(op)) throw fail('numbers do not support co, sw or ew');
      if (typeof value !== 'number') throw fail('expected a number');
      return;
    case 'dateTime':
      if (SUBSTRING.has(op)) throw fail('dateTime does not support co, sw or ew');
      if (!isDateTime(value)) throw fail('expected an xsd:dateTime string such as "2011-05-13T04:42:34Z"');
      return;
    case 'string':
    case 'reference':
      if (typeof value !== 'string') throw fail('expected a string');
      return;
  }
}
