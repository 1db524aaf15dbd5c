import type { SourceView } from './mapping.types';

/**
 * Reads a JSON record by dot path (`profile.emails.0.address`): own properties only, so a path
 * such as `constructor` or `__proto__` never reaches anything inherited. Arrays are walked by
 * numeric segment; a non-numeric segment on an array collects that field from every element.
 */
export function jsonSourceView(record: unknown): SourceView {
  return { field: (path) => readPath(record, path) };
}

export function readPath(root: unknown, path: string): unknown {
  let current: unknown = root;
  for (const segment of path.split('.')) {
    if (current === null || current === undefined) return undefined;
    if (Array.isArray(current)) {
      if (/^\d+$/.test(segment)) current = current[Number(segment)];
      else current = current.map((e) => ownField(e, segment)).filter((v) => v !== undefined);
      continue;
    }
    current = ownField(current, segment);
  }
  return current;
}

function ownField(obj: unknown, key: string): unknown {
  if (typeof obj !== 'object' || obj === null) return undefined;
  return Object.prototype.hasOwnProperty.call(obj, key) ? (obj as Record<string, unknown>)[key] : undefined;
}
