import {
  comparisonKey,
  findSubAttribute,
  isCaseExact,
  type AttributeDefinition,
  type ComplexAttribute,
} from '@hub/scim';
import { canonicalTypeKey } from '../paths/authority-path';
import { canonicalJson } from '../util/canonical-json';

/**
 * The identity of one element of a multi-valued attribute for de-duplication: for complex
 * elements their `value` under the sub-attribute's case rules (emails and phone numbers are
 * case-insensitive) plus the canonical `type`; for simple values the value itself; elements
 * without a `value` by their whole content (ignoring `primary`).
 */
export function elementKey(attr: AttributeDefinition, element: unknown): string {
  if (attr.type !== 'complex') return scalarKey(attr, element);
  const obj = element as Record<string, unknown>;
  const valueSub = findSubAttribute(attr, 'value');
  const typePart = findSubAttribute(attr, 'type')
    ? `|${canonicalTypeKey(attr as ComplexAttribute, obj['type']) ?? ''}`
    : '';
  if (valueSub && obj['value'] !== undefined) return `${scalarKey(valueSub, obj['value'])}${typePart}`;
  const rest: Record<string, unknown> = { ...obj };
  delete rest['primary'];
  return `j:${canonicalJson(rest)}`;
}

function scalarKey(attr: AttributeDefinition, value: unknown): string {
  const k = comparisonKey(attr.type, isCaseExact(attr), value);
  return k === undefined ? `j:${canonicalJson(value)}` : `${typeof k}:${String(k)}`;
}

/**
 * Merges the values of several sources, highest rank first: duplicates (see elementKey) are
 * kept once, in the position and shape the highest-ranked source gave them; `primary` ends on
 * exactly one element when any source marked one — the first marked in rank order.
 */
export function unionValues(attr: AttributeDefinition, values: readonly unknown[][]): unknown[] {
  const merged: unknown[] = [];
  const seen = new Map<string, number>();
  let primary = -1;
  for (const list of values) {
    for (const element of list) {
      const key = elementKey(attr, element);
      let at = seen.get(key);
      if (at === undefined) {
        at = merged.length;
        seen.set(key, at);
        merged.push(element);
      }
      if (primary < 0 && attr.type === 'complex' && (element as Record<string, unknown>)['primary'] === true)
        primary = at;
    }
  }
  if (attr.type !== 'complex') return merged;
  return merged.map((e, i) => {
    const obj = e as Record<string, unknown>;
    if (i === primary) return obj['primary'] === true ? obj : { ...obj, primary: true };
    if (obj['primary'] === undefined) return obj;
    const copy = { ...obj };
    delete copy['primary'];
    return copy;
  });
}
