import pg from 'pg';
import {
  LIST_URN,
  PATCH_URN,
  SEARCH_URN,
  USER_URN,
  scim,
  startScim,
  type ScimTestContext,
} from '../fixtures/scim/scim-harness';

const DELTA = 'urn:scim-hub:params:scim:api:messages:2.0:DeltaResponse';

interface DeltaPage {
  ids: string[];
  userNames: string[];
  removed: Array<{ id: string; reason: string }>;
  hasMore: boolean;
  next: string;
  totalResults: number;
}

describe('delta queries for clients that pull (ADR 0701)', () => {
  let ctx: ScimTestContext;
  let token: string;
  beforeAll(async () => {
    ctx = await startScim();
    token = await ctx.token({ name: 'puller' });
  });
  afterAll(() => ctx.close());

  const delta = async (deltaToken: string, query = ''): Promise<DeltaPage> => {
    const res = await scim(
      ctx.api,
      token,
      'GET',
      `/Users?deltaToken=${encodeURIComponent(deltaToken)}${query}`,
    );
    expect(res.status).toBe(200);
    expect(res.body.schemas).toEqual([LIST_URN, DELTA]);
    const ext = res.body[DELTA];
    return {
      ids: res.body.Resources.map((r: { id: string }) => r.id),
      userNames: res.body.Resources.map((r: { userName: string }) => r.userName),
      removed: ext.removed,
      hasMore: ext.hasMore,
      next: ext.nextDeltaToken,
      totalResults: res.body.totalResults,
    };
  };
  const create = async (userName: string, extra: Record<string, unknown> = {}) => {
    const res = await scim(ctx.api, token, 'POST', '/Users', { schemas: [USER_URN], userName, ...extra });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const replaceTitle = async (id: string, title: string) => {
    const res = await scim(ctx.api, token, 'PATCH', `/Users/${id}`, {
      schemas: [PATCH_URN],
      Operations: [{ op: 'replace', path: 'title', value: title }],
    });
    expect(res.status).toBe(200);
  };

  it('starts with the full state, then returns only what changed, deletions included', async () => {
    const first = await delta('');
    expect(first).toMatchObject({ ids: [], removed: [], hasMore: false });

    const a = await create('delta.a');
    const b = await create('delta.b');
    const c = await create('delta.c');
    const initial = await delta(first.next);
    expect(initial.ids).toEqual([a, b, c]);
    expect(initial.hasMore).toBe(false);
    expect(await delta(initial.next)).toMatchObject({ ids: [], removed: [] });

    await replaceTitle(a, 'Engineer');
    expect((await scim(ctx.api, token, 'DELETE', `/Users/${b}`)).status).toBe(204);
    const d = await create('delta.d');
    const changes = await delta(initial.next);
    expect(changes.ids).toEqual([a, d]);
    expect(changes.removed).toEqual([{ id: b, reason: 'deleted' }]);
    expect(changes.totalResults).toBe(3);
    // The listed state is the current one, not the one at the time of the change.
    const res = await scim(ctx.api, token, 'GET', `/Users?deltaToken=${encodeURIComponent(initial.next)}`);
    expect(res.body.Resources[0]).toMatchObject({ id: a, title: 'Engineer' });
    expect(await delta(changes.next)).toMatchObject({ ids: [], removed: [] });
  });

  it('pages a long window with count: every change once, none missing', async () => {
    const start = (await delta('')).next;
    const created: string[] = [];
    for (let i = 0; i < 7; i++) created.push(await create(`page.${i}`));
    await replaceTitle(created[2]!, 'changed twice'); // its newest change now comes last
    const seen: string[] = [];
    let next = start;
    let pages = 0;
    for (;;) {
      const page = await delta(next, '&count=3');
      seen.push(...page.ids);
      next = page.next;
      pages++;
      if (!page.hasMore) break;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual([...created.filter((_, i) => i !== 2), created[2]]);
    expect(await delta(next)).toMatchObject({ ids: [] });
  });

  it('with a filter: changed resources that no longer match are listed as removed (Active Dynamic Query)', async () => {
    const filter = `&filter=${encodeURIComponent('title eq "Sales"')}`;
    const start = (await delta('', filter)).next;
    const s1 = await create('filter.s1', { title: 'Sales' });
    const s2 = await create('filter.s2', { title: 'Sales' });
    await create('filter.other', { title: 'Support' });
    const page = await delta(start, filter);
    expect(page.userNames).toEqual(['filter.s1', 'filter.s2']);
    await replaceTitle(s2, 'Support');
    const after = await delta(page.next, filter);
    expect(after.ids).toEqual([]);
    expect(after.removed).toEqual([{ id: s2, reason: 'filtered' }]);
    void s1;
  });

  it('never skips a change whose transaction commits after a later one was read', async () => {
    const start = (await delta('')).next;
    const early = await create('late.commit');
    const position = (await delta(start)).next;

    // A writer takes an outbox sequence number now and commits only later.
    const client = new pg.Client({ connectionString: ctx.env.config.database.url });
    await client.connect();
    try {
      await client.query('BEGIN');
      await client.query(
        `UPDATE resources SET attributes = jsonb_set(attributes, '{title}', '"late"'), version = version + 1
         WHERE id = $1::uuid`,
        [early],
      );
      await client.query(
        `INSERT INTO outbox (tenant_id, resource_type, resource_id, version, kind)
         SELECT tenant_id, resource_type, id, version, 'updated' FROM resources WHERE id = $1::uuid`,
        [early],
      );
      // Meanwhile another change commits with a higher sequence number.
      const later = await create('late.other');
      const meanwhile = await delta(position);
      // The later change waits behind the open transaction instead of moving the token past it.
      expect(meanwhile.ids).toEqual([]);
      expect(meanwhile.next).toBe(position);
      await client.query('COMMIT');
      const settled = await delta(meanwhile.next);
      expect(new Set(settled.ids)).toEqual(new Set([early, later]));
    } finally {
      await client.end();
    }
  });

  it('works through POST /.search too', async () => {
    for (const name of ['search.1', 'search.2', 'search.3']) await create(name, { title: 'hidden' });
    const res = await scim(ctx.api, token, 'POST', '/Users/.search', {
      schemas: [SEARCH_URN],
      deltaToken: '',
      count: 2,
      attributes: ['userName'],
    });
    expect(res.status).toBe(200);
    expect(res.body.Resources).toHaveLength(2);
    // The same projection as a plain list with the same attributes.
    const plain = await scim(ctx.api, token, 'GET', '/Users?attributes=userName&count=1');
    expect(Object.keys(res.body.Resources[0]).sort()).toEqual(Object.keys(plain.body.Resources[0]).sort());
    expect(res.body.Resources[0].title).toBeUndefined();
    expect(res.body[DELTA].hasMore).toBe(true);
  });

  it.each([
    ['a token this server did not issue', '/Users?deltaToken=bogus', 'not one this server issued'],
    ['a token combined with startIndex', '/Users?deltaToken=&startIndex=1', 'startIndex or cursor'],
    ['a token combined with sortBy', '/Users?deltaToken=&sortBy=userName', 'sortBy'],
    ['a token on the root endpoint', null, 'one resource type endpoint'],
    ['a bad filter', `/Users?deltaToken=&filter=${encodeURIComponent('title eq')}`, ''],
  ])('refuses %s with a SCIM 400', async (_name, url, detail) => {
    const res =
      url === null
        ? await scim(ctx.api, token, 'POST', '/.search', { schemas: [SEARCH_URN], deltaToken: '' })
        : await scim(ctx.api, token, 'GET', url);
    expect(res.status).toBe(400);
    expect(res.body.status).toBe('400');
    expect(['invalidValue', 'invalidFilter']).toContain(res.body.scimType);
    expect(res.body.detail).toContain(detail);
  });

  it('refuses a token issued for another filter', async () => {
    const { next } = await delta('', `&filter=${encodeURIComponent('title eq "x"')}`);
    const res = await scim(ctx.api, token, 'GET', `/Users?deltaToken=${next}`);
    expect(res.status).toBe(400);
    expect(res.body.detail).toContain('different query');
  });
});
