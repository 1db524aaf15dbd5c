import type { AttrPath, PatchPath } from '../path/path.types';
import type { CompValue, FilterNode } from './filter.types';

const PRECEDENCE = { or: 1, and: 2 } as const;

/**
 * Canonical text of a filter: lower-case operators, JSON literals, parentheses only where the
 * tree needs them. parseFilter(printFilter(ast)) is structurally equal to ast.
 */
export function printFilter(node: FilterNode): string {
  return print(node, 0, false);
}

function print(node: FilterNode, parentPrec: number, rightChild: boolean): string {
  switch (node.kind) {
    case 'compare':
      return `${printAttrPath(node.path)} ${node.op} ${printValue(node.value)}`;
    case 'present':
      return `${printAttrPath(node.path)} pr`;
    case 'not':
      return `not (${print(node.filter, 0, false)})`;
    case 'valuePath':
      return `${printAttrPath(node.path)}[${print(node.filter, 0, false)}]`;
    case 'and':
    case 'or': {
      const prec = PRECEDENCE[node.kind];
      // The parser builds left-deep trees, so a right child of equal precedence needs parentheses.
      const text = `${print(node.left, prec, false)} ${node.kind} ${print(node.right, prec, true)}`;
      return prec < parentPrec || (prec === parentPrec && rightChild) ? `(${text})` : text;
    }
  }
}

export function printValue(value: CompValue): string {
  return JSON.stringify(value);
}

export function printAttrPath(path: AttrPath): string {
  return `${path.uri !== undefined ? `${path.uri}:` : ''}${path.attr}${path.subAttr !== undefined ? `.${path.subAttr}` : ''}`;
}

export function printPath(path: PatchPath): string {
  return `${printAttrPath(path.attrPath)}${path.filter ? `[${printFilter(path.filter)}]` : ''}${
    path.subAttr !== undefined ? `.${path.subAttr}` : ''
  }`;
}
