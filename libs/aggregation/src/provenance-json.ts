import type { ProvenanceEntry } from '@hub/engine';

/** Provenance entries as stored in JSONB: dates as ISO strings. */
export function provenanceToJson(entries: readonly ProvenanceEntry[]): Record<string, unknown>[] {
  return entries.map((e) => ({ ...e, since: e.since.toISOString() }));
}

export function provenanceFromJson(
  rows: readonly Record<string, unknown>[] | null | undefined,
): ProvenanceEntry[] {
  if (!rows) return [];
  return rows.map((r) => ({ ...(r as unknown as ProvenanceEntry), since: new Date(String(r['since'])) }));
}
