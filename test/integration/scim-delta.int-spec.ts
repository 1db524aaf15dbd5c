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

  it('a resource that changes while its window is being paged is listed once, in the later window', async () => {
    const start = (await delta('')).next;
    const users: string[] = [];
    for (let i = 0; i < 6; i++) users.push(await create(`paged.${i}`));
    const first = await delta(start, '&count=3');
    expect(first.ids).toEqual(users.slice(0, 3));
    await replaceTitle(users[4]!, 'moved on');
    const second = await delta(first.next, '&count=3');
    // users[4]'s current state belongs to the next window; listing it here would deliver it twice.
    expect(second.ids).toEqual([users[3], users[5]]);
    expect(second.hasMore).toBe(false);
    const third = await delta(second.next, '&count=3');
    expect(third.ids).toEqual([users[4]]);
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

  it('never skips a change whose transaction commits after a later-numbered one was read', async () => {
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
      // Meanwhile another change commits with a higher sequence number, and is read.
      const later = await create('late.other');
      const meanwhile = await delta(position);
      expect(meanwhile.ids).toEqual([later]);
      await client.query('COMMIT');
      // The earlier-numbered change committed after that read: the next window has it.
      const settled = await delta(meanwhile.next);
      expect(settled.ids).toEqual([early]);
      expect(await delta(settled.next)).toMatchObject({ ids: [], removed: [] });
    } finally {
      await client.end();
    }
  });

  it('a puller that is interrupted and resumes while writes continue sees every change exactly once', async () => {
    // The puller's own view of the feed, and what it was handed.
    let next = (await delta('')).next;
    await drain(); // start from a settled position: earlier tests' users are not part of this one
    const held = new Map<string, string>(); // id → meta.version
    const delivered = new Set<string>(); // `${id}@${version}`
    const removedIds: string[] = [];
    const pull = async (interrupt: boolean) => {
      const res = await scim(ctx.api, token, 'GET', `/Users?deltaToken=${encodeURIComponent(next)}&count=5`);
      expect(res.status).toBe(200);
      if (interrupt) return true; // the answer is lost: the client asks again with the same token
      for (const r of res.body.Resources as Array<{ id: string; meta: { version: string } }>) {
        const key = `${r.id}@${r.meta.version}`;
        expect(delivered.has(key)).toBe(false);
        delivered.add(key);
        held.set(r.id, r.meta.version);
      }
      for (const { id } of res.body[DELTA].removed as Array<{ id: string }>) {
        removedIds.push(id);
        held.delete(id);
      }
      next = res.body[DELTA].nextDeltaToken;
      return res.body[DELTA].hasMore as boolean;
    };
    async function drain() {
      for (;;) {
        const res = await scim(
          ctx.api,
          token,
          'GET',
          `/Users?deltaToken=${encodeURIComponent(next)}&count=100`,
        );
        next = res.body[DELTA].nextDeltaToken;
        if (!res.body[DELTA].hasMore) return;
      }
    }

    // Writers: creates, updates and deletes in parallel with the puller. Each writer changes only
    // the users it created: one writer's DELETE landing between another's pick of the same user
    // and its PATCH made that PATCH a 404.
    const lives: string[][] = [[], [], []];
    const deleted: string[] = [];
    let step = 0;
    const writer = async (w: number) => {
      const live = lives[w]!;
      for (let i = 0; i < 60; i++) {
        const roll = (i * 7 + w * 3) % 10;
        if (roll < 4 || live.length === 0) live.push(await create(`race.${w}.${i}`));
        else if (roll < 8) await replaceTitle(live[(i * 13 + w) % live.length]!, `t${++step}`);
        else {
          const [id] = live.splice((i * 5 + w) % live.length, 1);
          expect((await scim(ctx.api, token, 'DELETE', `/Users/${id}`)).status).toBe(204);
          deleted.push(id!);
        }
      }
    };
    let writing = true;
    const writers = Promise.all([0, 1, 2].map(writer)).finally(() => (writing = false));
    let pulls = 0;
    while (writing) await pull(++pulls % 4 === 0);
    await writers;
    while (await pull(false));
    await pull(false);

    // Every survivor at its current version; every deletion reported once; nothing else.
    const hub = new Map<string, string>();
    for (const id of lives.flat()) {
      const res = await scim(ctx.api, token, 'GET', `/Users/${id}`);
      hub.set(id, res.body.meta.version);
    }
    expect(new Map([...held].filter(([id]) => hub.has(id) || deleted.includes(id)))).toEqual(hub);
    expect([...held.keys()].filter((id) => !hub.has(id))).toEqual([]);
    expect(removedIds.filter((id) => deleted.includes(id)).sort()).toEqual([...deleted].sort());
    expect(new Set(removedIds).size).toBe(removedIds.length);
    expect(pulls).toBeGreaterThan(3);
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
