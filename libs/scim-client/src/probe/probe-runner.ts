import { randomBytes } from 'node:crypto';
import { PATCH_OP_URN, USER_URN, type JsonObject, type PatchOperation } from '@hub/scim';
import type { HttpClient, HttpRequest } from '../http/http-client';
import { HttpRequestError } from '../http/http-error';
import {
  asObject,
  deriveDialect,
  describeAnswer,
  entityTag,
  judgeCursorPaging,
  judgeDelete,
  judgeEtag,
  judgeFilter,
  judgeIndexPaging,
  judgePatch,
  judgePut,
  judgeUniqueness,
  listIds,
  summarize,
  type ProbeResponse,
  type Verdict,
} from './probe-judgements';
import type { ProbeCheck, ProbeCheckId, ProbeEvidence, ProbeReport } from './probe.types';

/** Sends one request and returns whatever the target answered (any status); throws only when there is no answer. */
export interface ProbeTransport {
  send(request: {
    method: HttpRequest['method'];
    path: string;
    query?: Record<string, string | number>;
    json?: unknown;
    headers?: Record<string, string>;
  }): Promise<ProbeResponse>;
}

const ALL_STATUSES = Array.from({ length: 500 }, (_, i) => i + 100).filter((s) => s !== 429 && s !== 503);

/**
 * The probe on the scim-client HTTP client: auth, TLS, timeouts and rate limit as configured for
 * the target; every status comes back to the probe except 429/503, which the client waits out.
 */
export function httpProbeTransport(http: HttpClient): ProbeTransport {
  return {
    send: async (req) => {
      const res = await http.request({
        method: req.method,
        path: req.path,
        ...(req.query ? { query: req.query } : {}),
        ...(req.json !== undefined ? { json: req.json, contentType: 'application/scim+json' } : {}),
        headers: { accept: 'application/scim+json, application/json', ...req.headers },
        accept: ALL_STATUSES,
      });
      return { status: res.status, headers: res.headers, body: res.body };
    },
  };
}

/** The parts of a target's self-description the probe compares with what it finds. */
export interface ProbeAdvertised {
  readonly patch?: boolean;
  readonly etag?: boolean;
  readonly filter?: { readonly supported: boolean };
  readonly pagination?: { readonly index?: boolean; readonly cursor?: boolean };
}

export interface DialectProbeOptions {
  /** The Users endpoint. Default `/Users`. */
  readonly endpoint?: string;
  /** What discovery said, to report advertised-versus-actual (`ScimCapabilities` fits). */
  readonly capabilities?: ProbeAdvertised;
  /** Random suffix of the probe userName (tests make it deterministic). */
  readonly random?: () => string;
  readonly now?: () => Date;
}

const TITLES: Record<ProbeCheckId, string> = {
  create: 'Create a user (POST)',
  getById: 'Read it back by id (GET)',
  'filter.eq': 'Filter: eq',
  'filter.co': 'Filter: co',
  'filter.sw': 'Filter: sw',
  'filter.and': 'Filter: and',
  'filter.pr': 'Filter: pr',
  'filter.gt.lastModified': 'Filter: gt on meta.lastModified',
  'paging.index': 'Index paging (startIndex/count)',
  'paging.cursor': 'Cursor paging (RFC 9865)',
  'patch.replace.path': 'PATCH replace with a path',
  'patch.add.path': 'PATCH add with a path',
  'patch.remove.path': 'PATCH remove with a path',
  'patch.noPath': 'PATCH replace without a path',
  'patch.valuePath': 'PATCH with a value-path filter (emails[type eq "work"].value)',
  'patch.deactivate': 'PATCH active=false',
  'put.replaces': 'PUT replaces (omitted attributes cleared)',
  'etag.ifMatch': 'ETags: If-Match honoured (412 when stale)',
  'uniqueness.409': '409 on a duplicate userName',
  delete: 'DELETE, then 404',
};

/**
 * Checks what a target really does, with one throwaway user (`scimhub-probe-<random>`, plus a
 * second one only when the target has too few users to page through), deleted at the end whatever
 * happened. Each check records its verdict with the evidence; nothing here throws for a target's
 * misbehaviour — a failing request becomes an `error` outcome and the probe carries on.
 */
export async function runDialectProbe(
  transport: ProbeTransport,
  options: DialectProbeOptions = {},
): Promise<ProbeReport> {
  const now = options.now ?? (() => new Date());
  const started = now();
  const endpoint = (options.endpoint ?? '/Users').replace(/\/+$/, '');
  const random = options.random?.() ?? randomBytes(5).toString('hex');
  const userName = `scimhub-probe-${random}`;
  const caps = options.capabilities;
  const checks: ProbeCheck[] = [];
  const created = new Set<string>();
  const deleted: string[] = [];

  let evidence: ProbeEvidence[] = [];
  const send = async (
    method: HttpRequest['method'],
    path: string,
    extra: { query?: Record<string, string | number>; json?: unknown; headers?: Record<string, string> } = {},
  ): Promise<ProbeResponse> => {
    const shown = path + (extra.query ? `?${new URLSearchParams(stringify(extra.query)).toString()}` : '');
    try {
      const res = await transport.send({ method, path, ...extra });
      evidence.push({ method, path: shown, status: res.status, detail: describeAnswer(res) });
      return res;
    } catch (error) {
      evidence.push({ method, path: shown, detail: failureOf(error) });
      throw error;
    }
  };
  const record = async (
    id: ProbeCheckId,
    advertised: boolean | undefined,
    run: () => Promise<Verdict>,
  ): Promise<Verdict> => {
    evidence = [];
    let verdict: Verdict;
    try {
      verdict = await run();
    } catch (error) {
      verdict = { outcome: 'error', detail: failureOf(error) };
    }
    checks.push({
      id,
      title: TITLES[id],
      outcome: verdict.outcome,
      detail: verdict.detail,
      ...(advertised !== undefined ? { advertised } : {}),
      evidence,
    });
    return verdict;
  };
  const skip = (id: ProbeCheckId, detail: string) =>
    checks.push({ id, title: TITLES[id], outcome: 'skipped', detail, evidence: [] });
  const userPath = (id: string) => `${endpoint}/${encodeURIComponent(id)}`;
  const read = (id: string) => send('GET', userPath(id));
  const list = (query: Record<string, string | number>) => send('GET', endpoint, { query });
  const patch = (id: string, operations: PatchOperation[], headers?: Record<string, string>) =>
    send('PATCH', userPath(id), {
      json: { schemas: [PATCH_OP_URN], Operations: operations },
      ...(headers ? { headers } : {}),
    });

  const workEmail = `${userName}@probe.invalid`;
  const homeEmail = `${userName}-home@probe.invalid`;
  const user: JsonObject = {
    schemas: [USER_URN],
    userName,
    displayName: 'scim-hub probe',
    name: { givenName: 'Probe', familyName: 'User' },
    title: 'probe',
    emails: [
      { type: 'work', value: workEmail, primary: true },
      { type: 'home', value: homeEmail },
    ],
    active: true,
  };

  const leftBehind: Array<{ id: string; reason: string }> = [];
  let id: string | undefined;
  let createdAt: string | undefined;
  const runChecks = async (): Promise<void> => {
    const creation = await record('create', undefined, async () => {
      const res = await send('POST', endpoint, { json: user });
      const body = asObject(res.body);
      if (res.status >= 200 && res.status < 300 && typeof body?.id === 'string') {
        id = body.id;
        created.add(id);
        const lastModified = asObject(body.meta)?.lastModified;
        createdAt = typeof lastModified === 'string' ? lastModified : undefined;
        return { outcome: 'supported', detail: `created with id ${id} (HTTP ${res.status})` };
      }
      // Created without telling us its id (or refused): look for it, so it is never left behind.
      if (res.status < 300) id = await findByUserName(list, userName);
      if (id) created.add(id);
      return {
        outcome: 'error',
        detail:
          res.status === 401 || res.status === 403
            ? `auth: the target refused the credentials (${describeAnswer(res)})`
            : `the probe user could not be created: ${describeAnswer(res)}`,
      };
    });
    if (creation.outcome !== 'supported' || !id) {
      for (const checkId of Object.keys(TITLES) as ProbeCheckId[])
        if (checkId !== 'create') skip(checkId, 'the probe user could not be created');
      return;
    }
    const uid = id;

    let etag: string | undefined;
    await record('getById', undefined, async () => {
      const res = await read(uid);
      if (res.status !== 200) return { outcome: 'error', detail: describeAnswer(res) };
      if (asObject(res.body)?.id !== uid)
        return { outcome: 'unsupported', detail: 'answered another resource' };
      etag = entityTag(res);
      return { outcome: 'supported', detail: 'read back by id' };
    });

    const filterAdvertised = caps?.filter?.supported;
    const filter = (positive: string, control: string) => async () =>
      judgeFilter(
        uid,
        await list({ filter: positive, count: 10 }),
        await list({ filter: control, count: 10 }),
      );
    const eq = `userName eq "${userName}"`;
    await record('filter.eq', filterAdvertised, filter(eq, `userName eq "${userName}-none"`));
    await record(
      'filter.co',
      filterAdvertised,
      filter(`userName co "${random}"`, `userName co "${random}-none"`),
    );
    await record(
      'filter.sw',
      filterAdvertised,
      filter(`userName sw "scimhub-probe-${random.slice(0, 6)}"`, `userName sw "${random}"`),
    );
    const and = await record(
      'filter.and',
      filterAdvertised,
      filter(`${eq} and active eq true`, `${eq} and active eq false`),
    );
    // pr and gt over a whole directory would page through it: they are checked beside eq.
    if (and.outcome === 'supported') {
      await record('filter.pr', filterAdvertised, filter(`${eq} and title pr`, `${eq} and nickName pr`));
      const before = new Date(Date.parse(createdAt ?? '') || started.getTime());
      await record(
        'filter.gt.lastModified',
        filterAdvertised,
        filter(
          `${eq} and meta.lastModified gt "${new Date(before.getTime() - 3_600_000).toISOString()}"`,
          `${eq} and meta.lastModified gt "${new Date(before.getTime() + 86_400_000).toISOString()}"`,
        ),
      );
    } else {
      skip('filter.pr', "checked together with eq, which needs 'and'");
      skip('filter.gt.lastModified', "checked together with eq, which needs 'and'");
    }

    await record('paging.index', caps?.pagination?.index, async () => {
      const page = (startIndex: number) => list({ startIndex, count: 1, attributes: 'id' });
      let first = await page(1);
      const total = asObject(first.body)?.totalResults;
      if (typeof total === 'number' && total < 2) {
        // Too few users to page through: a second throwaway user, deleted at the end too.
        const second = await send('POST', endpoint, {
          json: {
            ...user,
            userName: `${userName}-2`,
            emails: [{ type: 'work', value: `${userName}-2@probe.invalid` }],
          },
        });
        const secondId = asObject(second.body)?.id;
        if (typeof secondId === 'string') created.add(secondId);
        first = await page(1);
      }
      return judgeIndexPaging(first, await page(2));
    });

    await record('paging.cursor', caps?.pagination?.cursor, async () => {
      const first = await list({ cursor: '', count: 1, attributes: 'id' });
      const next = asObject(first.body)?.nextCursor;
      const second =
        typeof next === 'string' && next !== '' && first.status === 200
          ? await list({ cursor: next, count: 1, attributes: 'id' })
          : undefined;
      return judgeCursorPaging(first, second);
    });

    const patchCheck = (
      checkId: ProbeCheckId,
      ops: PatchOperation[],
      expect: (r: JsonObject) => string | true,
    ) =>
      record(checkId, caps?.patch, async () => {
        const res = await patch(uid, ops);
        const after = res.status < 300 ? await read(uid) : undefined;
        return judgePatch(res, after, expect);
      });
    await patchCheck(
      'patch.replace.path',
      [{ op: 'replace', path: 'displayName', value: 'scim-hub probe 2' }],
      (r) =>
        r.displayName === 'scim-hub probe 2' ? true : `displayName is ${JSON.stringify(r.displayName)}`,
    );
    await patchCheck('patch.add.path', [{ op: 'add', path: 'nickName', value: 'probe-nick' }], (r) =>
      r.nickName === 'probe-nick' ? true : `nickName is ${JSON.stringify(r.nickName)}`,
    );
    await patchCheck('patch.remove.path', [{ op: 'remove', path: 'nickName' }], (r) =>
      r.nickName === undefined ? true : `nickName is still ${JSON.stringify(r.nickName)}`,
    );
    await patchCheck('patch.noPath', [{ op: 'replace', value: { title: 'probe 2' } }], (r) =>
      r.title === 'probe 2' ? true : `title is ${JSON.stringify(r.title)}`,
    );
    const newWork = `${userName}-new@probe.invalid`;
    await patchCheck(
      'patch.valuePath',
      [{ op: 'replace', path: 'emails[type eq "work"].value', value: newWork }],
      (r) => {
        const emails = Array.isArray(r.emails) ? (r.emails as JsonObject[]) : [];
        const work = emails.find((e) => e.type === 'work');
        const home = emails.find((e) => e.type === 'home');
        if (work?.value !== newWork) return `the work email is ${JSON.stringify(work?.value)}`;
        if (home?.value !== homeEmail) return 'the home email changed too';
        return true;
      },
    );
    await patchCheck('patch.deactivate', [{ op: 'replace', path: 'active', value: false }], (r) =>
      r.active === false ? true : `active is ${JSON.stringify(r.active)}`,
    );

    await record('put.replaces', undefined, async () => {
      // Everything but `title` (set at creation): RFC 7644 §3.5.1 says it is then cleared.
      const { title: _omitted, ...rest } = user;
      const res = await send('PUT', userPath(uid), { json: { ...rest, id: uid } });
      return judgePut(res, res.status < 300 ? await read(uid) : undefined, 'title');
    });

    await record('etag.ifMatch', caps?.etag, async () => {
      const current = await read(uid);
      const tag = entityTag(current) ?? etag;
      if (!tag) return judgeEtag(undefined, undefined, undefined);
      const op: PatchOperation[] = [{ op: 'replace', path: 'displayName', value: 'scim-hub probe 3' }];
      const stale = await patch(uid, op, { 'if-match': 'W/"scimhub-probe-stale"' });
      const fresh = stale.status === 412 ? await patch(uid, op, { 'if-match': tag }) : undefined;
      return judgeEtag(tag, stale, fresh);
    });

    await record('uniqueness.409', undefined, async () => {
      const res = await send('POST', endpoint, { json: { ...user, emails: [] } });
      const dupId = asObject(res.body)?.id;
      if (res.status < 300 && typeof dupId === 'string' && dupId !== uid) created.add(dupId);
      return judgeUniqueness(res);
    });

    await record('delete', undefined, async () => {
      const res = await send('DELETE', userPath(uid));
      const after = res.status < 300 ? await read(uid) : undefined;
      const verdict = judgeDelete(res, after);
      if (res.status < 300 && after?.status === 404) {
        created.delete(uid);
        deleted.push(uid);
      }
      return verdict;
    });
  };

  try {
    await runChecks();
  } finally {
    // Reached on success, on an error result and on a thrown error alike: nothing stays behind.
    await cleanup();
  }
  const finished = now();
  return {
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationMs: finished.getTime() - started.getTime(),
    endpoint,
    userName,
    checks,
    summary: summarize(checks),
    dialect: deriveDialect(checks),
    cleanup: { deleted, leftBehind },
  };

  async function cleanup(): Promise<void> {
    for (const leftover of [...created]) {
      try {
        const res = await transport.send({ method: 'DELETE', path: userPath(leftover) });
        if ((res.status >= 200 && res.status < 300) || res.status === 404) {
          created.delete(leftover);
          deleted.push(leftover);
        } else leftBehind.push({ id: leftover, reason: describeAnswer(res) });
      } catch (error) {
        leftBehind.push({ id: leftover, reason: failureOf(error) });
      }
      created.delete(leftover);
    }
  }
}

async function findByUserName(
  list: (query: Record<string, string | number>) => Promise<ProbeResponse>,
  userName: string,
): Promise<string | undefined> {
  try {
    const res = await list({ filter: `userName eq "${userName}"`, count: 2 });
    return listIds(res.body)?.[0];
  } catch {
    return undefined;
  }
}

function failureOf(error: unknown): string {
  if (error instanceof HttpRequestError) return `${error.kind}: ${error.message}`;
  return error instanceof Error ? error.message.slice(0, 200) : 'unknown failure';
}

function stringify(query: Record<string, string | number>): Record<string, string> {
  return Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v)]));
}
