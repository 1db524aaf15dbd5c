import fc from 'fast-check';
import type { JsonObject } from '@hub/scim';
import type { ListPageAnswer, PageStart } from '@hub/scim-client';
import { PageReader, type PageReaderOptions } from './page-reader';

/** A SCIM server's listing in memory, answering after a few turns of the event loop. */
function listing(
  n: number,
  serve: {
    /** Largest page the server hands out. */
    cap?: number;
    /** Start indexes whose page the server cuts to this many objects. */
    short?: Map<number, number>;
    total?: boolean;
    cursor?: boolean;
    delays?: number[];
  } = {},
) {
  const objects = Array.from({ length: n }, (_, i) => ({ id: `u${i}` }) as JsonObject);
  let inFlight = 0;
  let maxInFlight = 0;
  const asked: PageStart[] = [];
  let call = 0;
  const fetch = async (start: PageStart, count: number): Promise<ListPageAnswer> => {
    asked.push(start);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const turns = serve.delays?.[call++ % serve.delays.length] ?? 1;
    for (let t = 0; t < turns; t++) await new Promise((r) => setImmediate(r));
    inFlight--;
    const from = 'cursor' in start ? (start.cursor === '' ? 0 : Number(start.cursor)) : start.startIndex - 1;
    let size = Math.min(count, serve.cap ?? Infinity);
    if ('startIndex' in start) size = Math.min(size, serve.short?.get(start.startIndex) ?? Infinity);
    const resources = objects.slice(from, from + size);
    const next = from + resources.length;
    return {
      resources,
      totalResults: serve.total === false ? undefined : n,
      ...(serve.cursor && next < n ? { nextCursor: String(next) } : {}),
    };
  };
  return { fetch, asked, maxInFlight: () => maxInFlight };
}

/** Reads the whole listing (index paging, pages of 100, two at once, three ahead unless told). */
async function readAll(
  server: { fetch: PageReaderOptions<number>['fetch'] },
  options: Partial<PageReaderOptions<number>> = {},
): Promise<{ ids: string[]; prepared: number[] }> {
  const reader = new PageReader<number>({
    pagination: 'index',
    count: 100,
    parallel: 2,
    ahead: 3,
    fetch: server.fetch,
    prepare: async (r) => r.length,
    ...options,
  });
  const ids: string[] = [];
  const prepared: number[] = [];
  for (let page = await reader.next(); page; page = await reader.next()) {
    ids.push(...page.resources.map((r) => String(r.id)));
    prepared.push(page.prepared);
  }
  return { ids, prepared };
}

const expected = (n: number) => Array.from({ length: n }, (_, i) => `u${i}`);

describe('PageReader', () => {
  it('reads an index-paged listing in order, two requests at a time, never past its end', async () => {
    const server = listing(1_050, { delays: [3, 1, 2] });
    const { ids, prepared } = await readAll(server);
    expect(ids).toEqual(expected(1_050));
    expect(prepared).toEqual([...Array(10).fill(100), 50]);
    expect(server.maxInFlight()).toBe(2);
    expect(server.asked).toHaveLength(11); // no request beyond totalResults
  });

  it('says when the pages asked for are the last ones: index paging by totalResults, cursors by the last answer', async () => {
    for (const pagination of ['index', 'cursor'] as const) {
      const server = listing(1_050, { cursor: pagination === 'cursor' });
      const reader = new PageReader<number>({
        pagination,
        count: 100,
        parallel: 2,
        ahead: 3,
        fetch: server.fetch,
        prepare: async (r) => r.length,
      });
      // Whether the end was in sight when each page was handed out.
      const seen: boolean[] = [];
      for (let page = await reader.next(); page; page = await reader.next()) seen.push(reader.lastAsked);
      expect(seen).toHaveLength(11);
      // Never before the last page was asked for; from then on, always.
      const first = seen.indexOf(true);
      expect(first).toBeGreaterThan(0);
      expect(seen.slice(first).every(Boolean)).toBe(true);
      expect(seen.length - first).toBeLessThanOrEqual(pagination === 'index' ? 4 : 2);
    }
  });

  it('learns the page size the server really serves from its first answer', async () => {
    const server = listing(250, { cap: 40 });
    const { ids } = await readAll(server, { count: 500, prepare: async () => 0 });
    expect(ids).toEqual(expected(250));
    expect(server.asked.map((s) => ('startIndex' in s ? s.startIndex : 0))).toEqual([
      1, 41, 81, 121, 161, 201, 241,
    ]);
  });

  it('completes a page the server cuts short, so nothing is skipped or read twice', async () => {
    const server = listing(300, { short: new Map([[101, 30]]) });
    const { ids, prepared } = await readAll(server);
    expect(ids).toEqual(expected(300));
    expect(prepared).toEqual([100, 100, 100]); // prepared once the page is whole
    expect(server.asked).toContainEqual({ startIndex: 131 });
  });

  it('without totalResults, reads until an empty page', async () => {
    const server = listing(120, { total: false });
    const { ids } = await readAll(server, { count: 50, ahead: 2, prepare: async () => 0 });
    expect(ids).toEqual(expected(120));
  });

  it('one request at a time when parallel is 1', async () => {
    const server = listing(500, { delays: [2] });
    await readAll(server, { count: 50, parallel: 1, prepare: async () => 0 });
    expect(server.maxInFlight()).toBe(1);
  });

  it('follows cursors one request at a time, and fails on a cursor that does not advance', async () => {
    const server = listing(230, { cursor: true });
    const { ids } = await readAll(server, {
      pagination: 'cursor',
      count: 50,
      parallel: 4,
      prepare: async () => 0,
    });
    expect(ids).toEqual(expected(230));
    expect(server.maxInFlight()).toBe(1);
    expect(server.asked[0]).toEqual({ cursor: '' });

    const stuck = new PageReader({
      pagination: 'cursor',
      count: 10,
      parallel: 1,
      ahead: 3,
      fetch: async () => ({ resources: [{ id: 'x' }], totalResults: 99, nextCursor: 'same' }),
      prepare: async () => 0,
    });
    await expect(stuck.next()).resolves.not.toBeNull(); // the first answer gave 'same'
    await expect(stuck.next()).rejects.toThrow('nextCursor does not advance');
  });

  it('a failed request fails the page that needed it, and the pages after it are dropped quietly', async () => {
    let calls = 0;
    const reader = new PageReader({
      pagination: 'index',
      count: 10,
      parallel: 2,
      ahead: 3,
      fetch: async (start) => {
        calls++;
        if ('startIndex' in start && start.startIndex === 21) throw new Error('503 from the target');
        const from = 'startIndex' in start ? start.startIndex - 1 : 0;
        return {
          resources: Array.from({ length: 10 }, (_, i) => ({ id: `u${from + i}` })),
          totalResults: 100,
        };
      },
      prepare: async () => 0,
    });
    await reader.next();
    await reader.next();
    await expect(reader.next()).rejects.toThrow('503 from the target');
    reader.end();
    await expect(reader.next()).resolves.toBeNull();
    expect(calls).toBeLessThanOrEqual(6);
  });

  it('property: any page size, cap, short pages, parallelism and timing read every object once, in order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          n: fc.integer({ min: 0, max: 400 }),
          count: fc.integer({ min: 1, max: 60 }),
          cap: fc.option(fc.integer({ min: 1, max: 60 }), { nil: undefined }),
          shorts: fc.array(fc.tuple(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 1, max: 59 })), {
            maxLength: 6,
          }),
          parallel: fc.integer({ min: 1, max: 4 }),
          ahead: fc.integer({ min: 1, max: 4 }),
          total: fc.boolean(),
          delays: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 5 }),
        }),
        async (c) => {
          const server = listing(c.n, {
            ...(c.cap !== undefined ? { cap: c.cap } : {}),
            short: new Map(c.shorts),
            total: c.total,
            delays: c.delays,
          });
          const { ids } = await readAll(server, {
            count: c.count,
            parallel: c.parallel,
            ahead: c.ahead,
            prepare: async () => 0,
          });
          expect(ids).toEqual(expected(c.n));
          expect(server.maxInFlight()).toBeLessThanOrEqual(c.parallel);
        },
      ),
      { numRuns: 300 },
    );
  });
});
