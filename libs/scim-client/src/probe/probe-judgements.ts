import type { JsonObject } from '@hub/scim';
import type { ProbeCheck, ProbeDialect, ProbeOutcome } from './probe.types';

/** One answer as the probe sees it: any status, parsed body. */
export interface ProbeResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: unknown;
}

export interface Verdict {
  readonly outcome: ProbeOutcome;
  readonly detail: string;
}

const ok = (status: number) => status >= 200 && status < 300;
const supported = (detail: string): Verdict => ({ outcome: 'supported', detail });
const unsupported = (detail: string): Verdict => ({ outcome: 'unsupported', detail });

/** A short, admin-safe description of an answer: status plus the SCIM error's scimType/detail. */
export function describeAnswer(res: ProbeResponse): string {
  const body = asObject(res.body);
  const parts = [
    typeof body?.scimType === 'string' ? body.scimType.slice(0, 40) : undefined,
    typeof body?.detail === 'string' ? body.detail.slice(0, 160) : undefined,
  ].filter(Boolean);
  return `HTTP ${res.status}${parts.length ? ` (${parts.join(': ')})` : ''}`;
}

/** Ids of a ListResponse's resources, or undefined when the answer is not a list. */
export function listIds(body: unknown): string[] | undefined {
  const list = asObject(body);
  if (!list) return undefined;
  const resources = list.Resources ?? (typeof list.totalResults === 'number' ? [] : undefined);
  if (!Array.isArray(resources)) return undefined;
  return resources.map((r) => String(asObject(r)?.id ?? ''));
}

/**
 * A filter operator is supported when the positive query finds the probe user AND a control query
 * that must match nothing does not: servers that ignore what they do not understand return
 * everything, and would otherwise pass.
 */
export function judgeFilter(ownId: string, positive: ProbeResponse, control: ProbeResponse): Verdict {
  if (!ok(positive.status)) return unsupported(`refused: ${describeAnswer(positive)}`);
  const found = listIds(positive.body);
  if (!found) return { outcome: 'error', detail: `HTTP ${positive.status} but not a ListResponse` };
  if (!found.includes(ownId)) return unsupported('the probe user is missing from the matching query');
  if (!ok(control.status))
    return unsupported(`the query that must match nothing was refused: ${describeAnswer(control)}`);
  const controlIds = listIds(control.body);
  if (controlIds?.includes(ownId))
    return unsupported('ignored: a query that must match nothing returned the probe user');
  return supported('matches what it should and nothing else');
}

/** `startIndex`/`count` honoured: pages of one, and page 2 is another resource than page 1. */
export function judgeIndexPaging(first: ProbeResponse, second: ProbeResponse): Verdict {
  for (const page of [first, second])
    if (!ok(page.status)) return unsupported(`refused: ${describeAnswer(page)}`);
  const a = listIds(first.body);
  const b = listIds(second.body);
  if (!a || !b) return { outcome: 'error', detail: 'a page is not a ListResponse' };
  if (a.length > 1 || b.length > 1)
    return unsupported(`count not honoured: ${Math.max(a.length, b.length)} resources for count=1`);
  if (a.length === 0 || b.length === 0) return unsupported('an index page came back empty');
  if (a[0] === b[0]) return unsupported('startIndex not honoured: page 2 repeats page 1');
  return supported('startIndex and count honoured');
}

/** RFC 9865: the first page carries `nextCursor`, following it gives the next resource. */
export function judgeCursorPaging(first: ProbeResponse, second: ProbeResponse | undefined): Verdict {
  if (!ok(first.status)) return unsupported(`refused: ${describeAnswer(first)}`);
  const next = asObject(first.body)?.nextCursor;
  if (typeof next !== 'string' || next === '' || !second)
    return unsupported('no nextCursor on the first page');
  if (!ok(second.status)) return unsupported(`following nextCursor failed: ${describeAnswer(second)}`);
  const a = listIds(first.body) ?? [];
  const b = listIds(second.body) ?? [];
  if (b.length === 0 || a[0] === b[0]) return unsupported('nextCursor does not advance');
  return supported('nextCursor advances');
}

/**
 * A PATCH is judged by reading the resource back (servers may answer 204, or 200 with a body that
 * does not reflect what they stored): `expect` says what must hold afterwards.
 */
export function judgePatch(
  patch: ProbeResponse,
  after: ProbeResponse | undefined,
  expect: (resource: JsonObject) => string | true,
): Verdict {
  if (!ok(patch.status)) return unsupported(`refused: ${describeAnswer(patch)}`);
  if (!after || !ok(after.status) || !asObject(after.body))
    return {
      outcome: 'error',
      detail: `reading the user back failed${after ? `: ${describeAnswer(after)}` : ''}`,
    };
  const check = expect(after.body as JsonObject);
  if (check !== true) return unsupported(`answered ${patch.status} but ${check}`);
  return supported(`applied (HTTP ${patch.status})`);
}

/** RFC 7644 §3.5.1: PUT replaces; attributes left out of the body are cleared. */
export function judgePut(put: ProbeResponse, after: ProbeResponse | undefined, omitted: string): Verdict {
  if (!ok(put.status)) return unsupported(`refused: ${describeAnswer(put)}`);
  if (!after || !ok(after.status) || !asObject(after.body))
    return { outcome: 'error', detail: 'reading the user back failed' };
  const kept = (after.body as JsonObject)[omitted] !== undefined;
  return kept
    ? unsupported(`PUT merges: ${omitted}, left out of the body, was kept`)
    : supported(`PUT replaces: ${omitted}, left out of the body, was cleared`);
}

/** The server's entity tag for a resource: the ETag header, else `meta.version`. */
export function entityTag(res: ProbeResponse): string | undefined {
  const header = res.headers.etag;
  if (typeof header === 'string' && header) return header;
  const version = asObject(asObject(res.body)?.meta)?.version;
  return typeof version === 'string' && version ? version : undefined;
}

/** If-Match with a stale tag must fail with 412; with the current one it must succeed. */
export function judgeEtag(
  etag: string | undefined,
  stale: ProbeResponse | undefined,
  current: ProbeResponse | undefined,
): Verdict {
  if (!etag) return unsupported('no ETag header or meta.version on the resource');
  if (!stale) return { outcome: 'error', detail: 'no answer to the stale If-Match' };
  if (stale.status !== 412)
    return unsupported(`If-Match ignored: a stale tag got ${describeAnswer(stale)} instead of 412`);
  if (current && !ok(current.status))
    return unsupported(`a stale tag gets 412 but the current one is refused: ${describeAnswer(current)}`);
  return supported('a stale If-Match gets 412, the current one succeeds');
}

export function judgeUniqueness(res: ProbeResponse): Verdict {
  if (res.status === 409) return supported('a second user with the same userName gets 409');
  if (ok(res.status)) return unsupported('a second user with the same userName was created');
  return unsupported(`a duplicate userName got ${describeAnswer(res)} instead of 409`);
}

export function judgeDelete(del: ProbeResponse, after: ProbeResponse | undefined): Verdict {
  if (!ok(del.status)) return { outcome: 'error', detail: `DELETE failed: ${describeAnswer(del)}` };
  if (!after) return { outcome: 'error', detail: 'no answer to the read after DELETE' };
  if (after.status === 404) return supported(`deleted (HTTP ${del.status}), then 404`);
  return unsupported(`deleted (HTTP ${del.status}) but a read still gets ${describeAnswer(after)}`);
}

export function summarize(checks: readonly ProbeCheck[]): Record<ProbeOutcome, number> {
  const counts: Record<ProbeOutcome, number> = { supported: 0, unsupported: 0, error: 0, skipped: 0 };
  for (const c of checks) counts[c.outcome] += 1;
  return counts;
}

/** The checks folded into what the push pipeline decides on. */
export function deriveDialect(checks: readonly ProbeCheck[]): ProbeDialect {
  const outcome = (id: ProbeCheck['id']) => checks.find((c) => c.id === id)?.outcome;
  const yes = (id: ProbeCheck['id']) => outcome(id) === 'supported';
  const put = checks.find((c) => c.id === 'put.replaces');
  return {
    filterOperators: (['eq', 'co', 'sw', 'pr', 'gt', 'and'] as const).filter((op) =>
      yes(op === 'gt' ? 'filter.gt.lastModified' : (`filter.${op}` as ProbeCheck['id'])),
    ),
    patch: {
      supported: yes('patch.replace.path') || yes('patch.add.path') || yes('patch.noPath'),
      withoutPath: yes('patch.noPath'),
      valuePathFilters: yes('patch.valuePath'),
      deactivate: yes('patch.deactivate'),
    },
    put:
      put?.outcome === 'supported'
        ? 'replace'
        : put?.outcome === 'unsupported' && put.detail.startsWith('PUT merges')
          ? 'merge'
          : 'unknown',
    etagIfMatch: yes('etag.ifMatch'),
    paging: { index: yes('paging.index'), cursor: yes('paging.cursor') },
    uniquenessConflict: yes('uniqueness.409'),
  };
}

export function asObject(value: unknown): JsonObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as JsonObject)
    : undefined;
}
