import {
  deriveDialect,
  describeAnswer,
  judgeCursorPaging,
  judgeEtag,
  judgeFilter,
  judgeIndexPaging,
  judgePatch,
  judgePut,
  judgeUniqueness,
  type ProbeResponse,
} from './probe-judgements';
import type { ProbeCheck } from './probe.types';

const res = (status: number, body?: unknown, headers: Record<string, string> = {}): ProbeResponse => ({
  status,
  headers,
  body,
});
const list = (...ids: string[]) =>
  res(200, { Resources: ids.map((id) => ({ id })), totalResults: ids.length });

describe('probe judgements', () => {
  it('a filter is supported only when the control query does not return the probe user', () => {
    expect(judgeFilter('me', list('me'), list()).outcome).toBe('supported');
    // A server that ignores the filter returns everything, the control included.
    const ignored = judgeFilter('me', list('me', 'other'), list('me', 'other'));
    expect(ignored).toEqual({ outcome: 'unsupported', detail: expect.stringMatching(/^ignored/) });
    expect(judgeFilter('me', list('other'), list()).detail).toMatch(/missing/);
    const refused = judgeFilter('me', res(400, { scimType: 'invalidFilter', detail: 'no' }), list());
    expect(refused).toEqual({ outcome: 'unsupported', detail: 'refused: HTTP 400 (invalidFilter: no)' });
    expect(judgeFilter('me', res(200, { hello: 1 }), list()).outcome).toBe('error');
  });

  it('index paging needs count and startIndex honoured', () => {
    expect(judgeIndexPaging(list('a'), list('b')).outcome).toBe('supported');
    expect(judgeIndexPaging(list('a', 'b'), list('a', 'b')).detail).toMatch(/count not honoured/);
    expect(judgeIndexPaging(list('a'), list('a')).detail).toMatch(/startIndex not honoured/);
  });

  it('cursor paging needs a nextCursor that advances', () => {
    const first = res(200, { Resources: [{ id: 'a' }], nextCursor: 'c2' });
    expect(judgeCursorPaging(first, list('b')).outcome).toBe('supported');
    expect(judgeCursorPaging(list('a'), undefined).detail).toMatch(/no nextCursor/);
    expect(judgeCursorPaging(first, list('a')).detail).toMatch(/does not advance/);
  });

  it('a PATCH is judged by what reads back, not by its status', () => {
    const expectNick = (r: Record<string, unknown>) => (r.nickName === 'n' ? true : 'nickName is missing');
    expect(judgePatch(res(204), res(200, { nickName: 'n' }), expectNick).outcome).toBe('supported');
    expect(judgePatch(res(200), res(200, {}), expectNick)).toEqual({
      outcome: 'unsupported',
      detail: 'answered 200 but nickName is missing',
    });
    expect(judgePatch(res(501), undefined, expectNick).outcome).toBe('unsupported');
  });

  it('PUT semantics: an omitted attribute cleared is replace, kept is merge', () => {
    expect(judgePut(res(200), res(200, { userName: 'u' }), 'title').outcome).toBe('supported');
    expect(judgePut(res(200), res(200, { title: 't' }), 'title').detail).toMatch(/^PUT merges/);
  });

  it('ETags: 412 on a stale If-Match', () => {
    expect(judgeEtag('W/"1"', res(412), res(200)).outcome).toBe('supported');
    expect(judgeEtag('W/"1"', res(200), undefined).detail).toMatch(/ignored/);
    expect(judgeEtag(undefined, undefined, undefined).detail).toMatch(/no ETag/);
  });

  it('uniqueness: 409 on a duplicate userName', () => {
    expect(judgeUniqueness(res(409)).outcome).toBe('supported');
    expect(judgeUniqueness(res(201, { id: 'x' })).detail).toMatch(/was created/);
    expect(judgeUniqueness(res(400)).outcome).toBe('unsupported');
  });

  it('describes an answer without anything but status, scimType and detail', () => {
    expect(describeAnswer(res(401, { detail: 'x'.repeat(500) })).length).toBeLessThan(200);
    expect(describeAnswer(res(204))).toBe('HTTP 204');
  });

  it('folds the checks into a dialect', () => {
    const check = (id: ProbeCheck['id'], outcome: ProbeCheck['outcome'], detail = ''): ProbeCheck => ({
      id,
      title: id,
      outcome,
      detail,
      evidence: [],
    });
    const dialect = deriveDialect([
      check('filter.eq', 'supported'),
      check('filter.co', 'unsupported'),
      check('filter.gt.lastModified', 'supported'),
      check('patch.replace.path', 'supported'),
      check('patch.valuePath', 'unsupported'),
      check('put.replaces', 'unsupported', 'PUT merges: title kept'),
      check('paging.index', 'supported'),
    ]);
    expect(dialect).toMatchObject({
      filterOperators: ['eq', 'gt'],
      patch: { supported: true, valuePathFilters: false },
      put: 'merge',
      paging: { index: true, cursor: false },
      etagIfMatch: false,
    });
  });
});
