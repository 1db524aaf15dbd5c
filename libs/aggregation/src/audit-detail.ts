import { hashJson, sameJson } from '@hub/engine';

/** Audit detail values larger than this are summarised (a 10 000-member group stays readable). */
const MAX_AUDIT_VALUE_CHARS = 2_000;

/**
 * Top-level attributes of the golden record that differ, `{ attr: { from?, to? } }`, large values
 * summarised: the same audit shape the pass-through gateway wrote, so audit readers do not change.
 */
export function changedAttributes(
  before: Readonly<Record<string, unknown>>,
  after: Readonly<Record<string, unknown>>,
): Record<string, { from?: unknown; to?: unknown }> {
  const out: Record<string, { from?: unknown; to?: unknown }> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (key === 'schemas') continue;
    const a = before[key];
    const b = after[key];
    if (sameJson(a, b)) continue;
    out[key] = {
      ...(a !== undefined ? { from: summariseValue(a) } : {}),
      ...(b !== undefined ? { to: summariseValue(b) } : {}),
    };
  }
  return out;
}

export function summariseValue(value: unknown): unknown {
  const text = JSON.stringify(value) ?? 'null';
  if (text.length <= MAX_AUDIT_VALUE_CHARS) return value;
  return { omitted: true, chars: text.length, sha256: hashJson(value) };
}
