import { asTenantId, ScimResourceRepository, SqlParams, filterToSql } from '../../libs/persistence/src';
import { parseFilter, SchemaRegistry, validateFilter } from '../../libs/scim/src';
import {
  BULK_REQUEST_URN,
  ENTERPRISE_URN,
  ERROR_URN,
  GROUP_URN,
  LIST_URN,
  PATCH_URN,
  SEARCH_URN,
  USER_URN,
  scim,
  startScim,
  type ScimTestContext,
} from '../fixtures/scim/scim-harness';

/** HTTP-level tests from the RFC 7644 / RFC 7643 request and response examples, by section. */
describe('inbound SCIM server (RFC 7644)', () => {
  let ctx: ScimTestContext;
  let token: string;
  const call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    scim(ctx.api, token, method, path, body, headers);
  const bjensen = {
    schemas: [USER_URN],
    userName: 'bjensen',
    externalId: 'bjensen',
    name: { formatted: 'Ms. Barbara J Jensen III', familyName: 'Jensen', givenName: 'Barbara' },
  };

  beforeAll(async () => {
    ctx = await startScim();
    token = await ctx.token();
  });
  afterAll(() => ctx.close());

  it('rfc7644 §3.1/§3.3 create: 201, Location, ETag, meta, application/scim+json', async () => {
    const res = await call('POST', '/Users', bjensen);
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    expect(res.body).toMatchObject({
      schemas: [USER_URN],
      userName: 'bjensen',
      externalId: 'bjensen',
      name: { familyName: 'Jensen' },
      meta: { resourceType: 'User', version: 'W/"1"' },
    });
    expect(res.headers.get('location')).toBe(res.body.meta.location);
    expect(res.body.meta.location).toMatch(new RegExp(`/scim/v2/Users/${res.body.id}$`));
    expect(res.headers.get('etag')).toBe('W/"1"');
    expect(new Date(res.body.meta.created).getTime()).toBeGreaterThan(0);
  });

  it('rfc7644 §3.3 uniqueness: userName is unique per tenant, case-insensitively → 409 uniqueness', async () => {
    const res = await call('POST', '/Users', { ...bjensen, userName: 'BJensen', externalId: 'other' });
    expect(res.status).toBe(409);
    expect(res.body).toEqual({
      schemas: [ERROR_URN],
      status: '409',
      scimType: 'uniqueness',
      detail: expect.any(String),
    });
    // Another tenant may have its own bjensen.
    const other = await startScim();
    try {
      expect((await scim(other.api, await other.token(), 'POST', '/Users', bjensen)).status).toBe(201);
    } finally {
      await other.close();
    }
  });

  it('accepts application/json and refuses other media types with 415', async () => {
    const ok = await call(
      'POST',
      '/Users',
      { schemas: [USER_URN], userName: 'json-user' },
      { 'content-type': 'application/json' },
    );
    expect(ok.status).toBe(201);
    const bad = await call('POST', '/Users', 'userName=x', { 'content-type': 'text/plain' });
    expect(bad.status).toBe(415);
    expect(bad.body.schemas).toEqual([ERROR_URN]);
  });

  it('rfc7644 §3.4.1 get by id, attributes/excludedAttributes, 404 for unknown ids', async () => {
    const created = (
      await call('POST', '/Users', { schemas: [USER_URN], userName: 'get-me', title: 'Tour Guide' })
    ).body;
    const got = await call('GET', `/Users/${created.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(created);
    const only = await call('GET', `/Users/${created.id}?attributes=userName`);
    expect(Object.keys(only.body).sort()).toEqual(['id', 'meta', 'schemas', 'userName']);
    const without = await call('GET', `/Users/${created.id}?excludedAttributes=title`);
    expect(without.body.title).toBeUndefined();
    expect(without.body.userName).toBe('get-me');
    for (const id of ['2819c223-7f76-453a-919d-413861904646', 'not-a-uuid']) {
      const missing = await call('GET', `/Users/${id}`);
      expect(missing.status).toBe(404);
      expect(missing.body).toMatchObject({ schemas: [ERROR_URN], status: '404' });
    }
  });

  describe('rfc7644 §3.4.2 list, filter, sort, paginate (in the database)', () => {
    const people = [
      {
        userName: 'alice',
        title: 'Engineer',
        name: { familyName: 'Zeta' },
        emails: [{ value: 'alice@example.com', type: 'work' }],
        active: true,
        [ENTERPRISE_URN]: { employeeNumber: '3' },
      },
      {
        userName: 'bob',
        title: 'Manager',
        name: { familyName: 'Young' },
        emails: [{ value: 'bob@example.org', type: 'home' }],
        active: false,
      },
      {
        userName: 'carol',
        name: { familyName: 'Xavier' },
        emails: [
          { value: 'carol@EXAMPLE.com', type: 'work', primary: true },
          { value: 'c@home.net', type: 'home' },
        ],
        active: true,
        [ENTERPRISE_URN]: { employeeNumber: '1' },
      },
      { userName: 'dave', title: 'engineer', name: { familyName: 'Walker' }, active: true },
    ];
    const ids: Record<string, string> = {};
    const names = (res: { body: { Resources: Array<{ userName: string }> } }) =>
      res.body.Resources.map((r) => r.userName);
    const filter = (f: string, extra = '') => call('GET', `/Users?filter=${encodeURIComponent(f)}${extra}`);

    beforeAll(async () => {
      for (const p of people) {
        const schemas = ENTERPRISE_URN in p ? [USER_URN, ENTERPRISE_URN] : [USER_URN];
        const res = await call('POST', '/Users', { schemas, ...p, externalId: `ext-${p.userName}` });
        expect(res.status).toBe(201);
        ids[p.userName] = res.body.id;
      }
    });

    it.each([
      ['userName eq "ALICE"', ['alice']],
      ['title eq "engineer"', ['alice', 'dave']],
      ['title co "gine"', ['alice', 'dave']],
      ['userName sw "ca"', ['carol']],
      ['userName ew "ob"', ['bob']],
      ['title pr and userName ne "dave"', ['alice', 'bob']],
      ['not (title pr)', ['bjensen', 'carol', 'get-me', 'json-user'].filter((n) => n !== 'get-me')],
      ['emails co "example.com"', ['alice', 'carol']],
      ['emails[type eq "work" and value co "@example.com"]', ['alice', 'carol']],
      ['emails.type eq "home" and active eq false', ['bob']],
      ['active eq true and name.familyName gt "X"', ['alice', 'carol']],
      ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "1"', ['carol']],
      ['externalId eq "ext-bob"', ['bob']],
      ['meta.resourceType eq "User" and userName eq "carol"', ['carol']],
      ['title eq null and userName sw "d"', []],
      ['userName eq "alice" or userName eq "bob"', ['alice', 'bob']],
    ])('filter %s', async (f, expected) => {
      const res = await filter(f, '&sortBy=userName');
      expect(res.status).toBe(200);
      const got = names(res).filter((n) => people.some((p) => p.userName === n) || f.startsWith('not'));
      expect(got).toEqual(expected);
    });

    it('dateTime comparison on meta.lastModified and id eq', async () => {
      const past = await filter('meta.lastModified gt "2011-05-13T04:42:34Z"');
      expect(past.body.totalResults).toBeGreaterThanOrEqual(people.length);
      const future = await filter('meta.created gt "2999-01-01T00:00:00Z"');
      expect(future.body.totalResults).toBe(0);
      const byId = await filter(`id eq "${ids.carol}"`);
      expect(names(byId)).toEqual(['carol']);
    });

    it('invalid filters are 400 invalidFilter', async () => {
      for (const f of [
        'userName eq',
        'nosuch eq "x"',
        'active gt "yes"',
        'password eq "x"',
        'emails[type eq "work"',
      ]) {
        const res = await filter(f);
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ schemas: [ERROR_URN], status: '400', scimType: 'invalidFilter' });
      }
    });

    it('rfc7644 §3.4.2.3 sortBy/sortOrder', async () => {
      const asc = await filter(
        'userName eq "alice" or userName eq "bob" or userName sw "c" or userName sw "d"',
        '&sortBy=name.familyName',
      );
      expect(names(asc)).toEqual(['dave', 'carol', 'bob', 'alice']);
      const desc = await filter('active pr', '&sortBy=userName&sortOrder=descending');
      expect(names(desc).slice(0, 2)).toEqual(['dave', 'carol']);
      const bad = await call('GET', '/Users?sortBy=nosuch');
      expect(bad.status).toBe(400);
    });

    it('rfc7644 §3.4.2.4 index pagination: startIndex/count, stable order, count=0', async () => {
      const all = await call('GET', '/Users?count=1000');
      const total = all.body.totalResults;
      expect(all.body.Resources).toHaveLength(total);
      const seen: string[] = [];
      for (let start = 1; start <= total; start += 2) {
        const page = await call('GET', `/Users?startIndex=${start}&count=2`);
        expect(page.body).toMatchObject({ schemas: [LIST_URN], totalResults: total, startIndex: start });
        seen.push(...page.body.Resources.map((r: { id: string }) => r.id));
      }
      expect(seen).toEqual(all.body.Resources.map((r: { id: string }) => r.id));
      const none = await call('GET', '/Users?count=0');
      expect(none.body).toMatchObject({ totalResults: total, itemsPerPage: 0, Resources: [] });
      expect((await call('GET', '/Users?startIndex=0&count=1')).body.startIndex).toBe(1);
      expect((await call('GET', '/Users?count=ten')).status).toBe(400);
    });

    it('rfc9865 cursor pagination: nextCursor/previousCursor walk the same order, errors', async () => {
      const all = (await call('GET', '/Users?count=1000&sortBy=userName')).body.Resources.map(
        (r: { id: string }) => r.id,
      );
      const forward: string[] = [];
      const pages: Array<{ previousCursor?: string; ids: string[] }> = [];
      let cursor = '';
      for (;;) {
        const page = await call('GET', `/Users?sortBy=userName&count=3&cursor=${cursor}`);
        expect(page.status).toBe(200);
        expect(page.body.startIndex).toBeUndefined();
        const pageIds = page.body.Resources.map((r: { id: string }) => r.id);
        pages.push({ previousCursor: page.body.previousCursor, ids: pageIds });
        forward.push(...pageIds);
        if (!page.body.nextCursor) break;
        expect(page.body.nextCursor).toMatch(/^[A-Za-z0-9_-]+$/);
        cursor = page.body.nextCursor;
      }
      expect(forward).toEqual(all);
      expect(pages[0]!.previousCursor).toBeUndefined();
      const back = await call('GET', `/Users?sortBy=userName&count=3&cursor=${pages[1]!.previousCursor}`);
      expect(back.body.Resources.map((r: { id: string }) => r.id)).toEqual(pages[0]!.ids);
      const foreign = await call('GET', `/Users?sortBy=title&count=3&cursor=${pages[1]!.previousCursor}`);
      expect(foreign.body).toMatchObject({ status: '400', scimType: 'invalidCursor' });
      expect((await call('GET', '/Users?cursor=garbage!')).body.scimType).toBe('invalidCursor');
      expect((await call('GET', '/Users?cursor=&count=0')).body.scimType).toBe('invalidCount');
    });

    it('rfc7644 §3.4.3 POST .search per type and at the root', async () => {
      const res = await call('POST', '/Users/.search', {
        schemas: [SEARCH_URN],
        attributes: ['userName', 'title'],
        filter: 'title pr',
        sortBy: 'userName',
        startIndex: 1,
        count: 10,
      });
      expect(res.status).toBe(200);
      expect(names(res)).toEqual(['alice', 'bob', 'dave', 'get-me']);
      expect(Object.keys(res.body.Resources[0]).sort()).toEqual([
        'id',
        'meta',
        'schemas',
        'title',
        'userName',
      ]);
      const root = await call('POST', '/.search', {
        schemas: [SEARCH_URN],
        filter: 'externalId eq "ext-alice"',
      });
      expect(root.body.Resources.map((r: { id: string }) => r.id)).toEqual([ids.alice]);
      expect((await call('POST', '/Users/.search', { filter: 'x' })).status).toBe(400);
    });

    it('query plans: userName eq and externalId eq use indexes at 5 000 users', async () => {
      const tenantId = asTenantId(ctx.tenantId);
      const source = await ctx.env.prisma.source.findFirstOrThrow({
        where: { tenantId },
        select: { id: true },
      });
      await ctx.env.prisma.$executeRawUnsafe(
        `INSERT INTO resources (id, tenant_id, resource_type, attributes, name_key, updated_at)
         SELECT gen_random_uuid(), $1::uuid, 'User', jsonb_build_object('userName', 'bulk' || g), 'bulk' || g, now()
         FROM generate_series(1, 5000) g`,
        tenantId,
      );
      await ctx.env.prisma.$executeRawUnsafe(
        `INSERT INTO contributions (id, tenant_id, source_id, resource_type, source_key, external_id, resource_id, attributes, hash, asserted_at, updated_at)
         SELECT gen_random_uuid(), $1::uuid, $2::uuid, 'User', r.id::text, 'x-' || r.name_key, r.id, '{}', '', now(), now()
         FROM resources r WHERE r.tenant_id = $1::uuid AND r.name_key LIKE 'bulk%'`,
        tenantId,
        source.id,
      );
      await ctx.env.prisma.$executeRawUnsafe('ANALYZE resources');
      await ctx.env.prisma.$executeRawUnsafe('ANALYZE contributions');
      const repo = new ScimResourceRepository(ctx.env.prisma);
      const view = SchemaRegistry.withBuiltIns().resourceType('User');
      const plan = async (f: string) => {
        const params = ScimResourceRepository.listParams(tenantId, 'User');
        const where = filterToSql(validateFilter(parseFilter(f), view), {
          alias: 'r',
          params,
          tenantParam: '$1::uuid',
          typeParam: '$2::text',
          resourceType: 'User',
          sourceId: source.id,
          nameKeyAttribute: 'userName',
          derivedGroups: true,
          locationBase: 'http://x/scim/v2/',
          endpoint: 'Users',
        });
        return repo.explain({ params: params instanceof SqlParams ? params : params, where });
      };
      const byName = await plan('userName eq "BULK42"');
      expect(byName).toMatch(/Index (Only )?Scan using resources_tenant_id_resource_type_name_key_key/);
      const byExternal = await plan('externalId eq "x-bulk42"');
      expect(byExternal).toMatch(/contributions_source_id_resource_type_external_id_idx/);
      expect(byExternal).not.toMatch(/Seq Scan on contributions/);
      const found = await call('GET', `/Users?filter=${encodeURIComponent('externalId eq "x-bulk42"')}`);
      expect(found.body.Resources.map((r: { userName: string }) => r.userName)).toEqual(['bulk42']);
      await ctx.env.prisma.$executeRawUnsafe(
        `DELETE FROM resources WHERE tenant_id = $1::uuid AND name_key LIKE 'bulk%'`,
        tenantId,
      );
    });
  });

  describe('writes', () => {
    let user: { id: string; meta: { version: string } };
    beforeAll(async () => {
      user = (
        await call('POST', '/Users', {
          ...bjensen,
          userName: 'writer',
          externalId: 'w1',
          emails: [{ value: 'w@example.com', type: 'work' }],
        })
      ).body;
    });

    it('rfc7644 §3.5.1 PUT replaces; readOnly ignored; immutable kept; 200 with the new version', async () => {
      const res = await call('PUT', `/Users/${user.id}`, {
        schemas: [USER_URN],
        id: 'ignored',
        userName: 'writer',
        externalId: 'w1',
        displayName: 'Writer',
        meta: { version: 'W/"999"' },
      });
      expect(res.status).toBe(200);
      expect(res.body.id).toBe(user.id);
      expect(res.body.displayName).toBe('Writer');
      expect(res.body.emails).toBeUndefined();
      expect(res.body.meta.version).toBe('W/"2"');
      expect(res.headers.get('etag')).toBe('W/"2"');
      const clash = await call('PUT', `/Users/${user.id}`, { schemas: [USER_URN], userName: 'ALICE' });
      expect(clash.status).toBe(409);
      expect(clash.body.scimType).toBe('uniqueness');
    });

    it('rfc7644 §3.14 ETags: If-None-Match → 304, If-Match mismatch → 412, match → 200', async () => {
      const current = await call('GET', `/Users/${user.id}`);
      const etag = current.headers.get('etag')!;
      const notModified = await call('GET', `/Users/${user.id}`, undefined, { 'if-none-match': etag });
      expect(notModified.status).toBe(304);
      expect(notModified.text).toBe('');
      const patch = {
        schemas: [PATCH_URN],
        Operations: [{ op: 'replace', path: 'nickName', value: 'Babs' }],
      };
      const stale = await call('PATCH', `/Users/${user.id}`, patch, { 'if-match': 'W/"1"' });
      expect(stale.status).toBe(412);
      expect(stale.body).toMatchObject({ schemas: [ERROR_URN], status: '412' });
      const fresh = await call('PATCH', `/Users/${user.id}`, patch, { 'if-match': etag });
      expect(fresh.status).toBe(200);
      expect(fresh.body.nickName).toBe('Babs');
      const del = await call('DELETE', `/Users/${user.id}`, undefined, { 'if-match': etag });
      expect(del.status).toBe(412);
    });

    it('rfc7644 §3.5.2 PATCH add/replace/remove with value filters; errors leave data unchanged', async () => {
      const add = await call('PATCH', `/Users/${user.id}`, {
        schemas: [PATCH_URN],
        Operations: [
          { op: 'add', path: 'emails', value: [{ value: 'home@example.com', type: 'home' }] },
          { op: 'replace', path: 'emails[type eq "home"].value', value: 'home2@example.com' },
          { op: 'add', value: { title: 'Boss' } },
          { op: 'add', path: `${ENTERPRISE_URN}:department`, value: 'Tour Operations' },
        ],
      });
      expect(add.status).toBe(200);
      expect(add.body.emails).toEqual([{ value: 'home2@example.com', type: 'home' }]);
      expect(add.body[ENTERPRISE_URN]).toEqual({ department: 'Tour Operations' });
      expect(add.body.schemas).toEqual([USER_URN, ENTERPRISE_URN]);
      const before = (await call('GET', `/Users/${user.id}`)).body;
      const bad = await call('PATCH', `/Users/${user.id}`, {
        schemas: [PATCH_URN],
        Operations: [
          { op: 'replace', path: 'title', value: 'Changed' },
          { op: 'remove', path: 'emails[type eq "nosuch"]' },
        ],
      });
      expect(bad.status).toBe(400);
      expect(bad.body.scimType).toBe('noTarget');
      expect((await call('GET', `/Users/${user.id}`)).body).toEqual(before);
      const remove = await call('PATCH', `/Users/${user.id}`, {
        schemas: [PATCH_URN],
        Operations: [{ op: 'remove', path: 'title' }],
      });
      expect(remove.body.title).toBeUndefined();
    });

    it('externalId is per source: another client sees none and cannot find it', async () => {
      const other = await ctx.token();
      const seen = await scim(ctx.api, other, 'GET', `/Users/${user.id}`);
      expect(seen.body.externalId).toBeUndefined();
      const search = await scim(
        ctx.api,
        other,
        'GET',
        `/Users?filter=${encodeURIComponent('externalId eq "w1"')}`,
      );
      expect(search.body.totalResults).toBe(0);
      expect((await call('GET', `/Users/${user.id}`)).body.externalId).toBe('w1');
    });

    it('groups: members by value with $ref/display/type, User.groups derived, deleting a user removes memberships', async () => {
      const member = (
        await call('POST', '/Users', { schemas: [USER_URN], userName: 'member1', displayName: 'Member One' })
      ).body;
      const group = await call('POST', '/Groups', {
        schemas: [GROUP_URN],
        displayName: 'Tour Guides',
        members: [{ value: member.id, display: 'ignored' }],
      });
      expect(group.status).toBe(201);
      expect(group.body.members).toEqual([
        {
          value: member.id,
          type: 'User',
          display: 'Member One',
          $ref: expect.stringMatching(new RegExp(`/scim/v2/Users/${member.id}$`)),
        },
      ]);
      const nested = await call('POST', '/Groups', {
        schemas: [GROUP_URN],
        displayName: 'Parent',
        members: [{ value: group.body.id }],
      });
      expect(nested.body.members[0]).toMatchObject({ value: group.body.id, type: 'Group' });
      const userView = await call('GET', `/Users/${member.id}`);
      expect(userView.body.groups).toEqual([
        {
          value: group.body.id,
          $ref: expect.stringMatching(/\/Groups\//),
          display: 'Tour Guides',
          type: 'direct',
        },
      ]);
      const byGroup = await call(
        'GET',
        `/Users?filter=${encodeURIComponent(`groups.value eq "${group.body.id}"`)}`,
      );
      expect(byGroup.body.Resources.map((r: { id: string }) => r.id)).toEqual([member.id]);
      const readOnly = await call('PATCH', `/Users/${member.id}`, {
        schemas: [PATCH_URN],
        Operations: [{ op: 'add', path: 'groups', value: [{ value: nested.body.id }] }],
      });
      expect(readOnly.status).toBe(400);
      const unknownMember = await call('PATCH', `/Groups/${group.body.id}`, {
        schemas: [PATCH_URN],
        Operations: [
          { op: 'add', path: 'members', value: [{ value: '2819c223-7f76-453a-919d-413861904646' }] },
        ],
      });
      expect(unknownMember.status).toBe(400);
      expect(
        (
          await call(
            'GET',
            `/Groups?filter=${encodeURIComponent(`members[value eq "${member.id}"]`)}&excludedAttributes=members`,
          )
        ).body.Resources,
      ).toEqual([expect.not.objectContaining({ members: expect.anything() })]);
      expect((await call('DELETE', `/Users/${member.id}`)).status).toBe(204);
      const after = await call('GET', `/Groups/${group.body.id}`);
      expect(after.body.members ?? []).toEqual([]);
      expect(after.body.meta.version).toBe('W/"2"');
    });

    it('large groups: members added and removed in batches, order kept, filters on members and groups, deletes cascade', async () => {
      const ops = Array.from({ length: 60 }, (_, i) => ({
        method: 'POST',
        path: '/Users',
        bulkId: `m${i}`,
        data: { schemas: [USER_URN], userName: `batch-member-${i}`, displayName: `Batch ${i}` },
      }));
      const bulk = await call('POST', '/Bulk', { schemas: [BULK_REQUEST_URN], Operations: ops });
      const ids: string[] = bulk.body.Operations.map((o: { location: string }) =>
        o.location.split('/').pop(),
      );
      expect(ids).toHaveLength(60);
      const group = await call('POST', '/Groups', {
        schemas: [GROUP_URN],
        displayName: 'Batch Group',
        members: ids.slice(0, 30).map((value) => ({ value })),
      });
      expect(group.status).toBe(201);
      const other = await call('POST', '/Groups', {
        schemas: [GROUP_URN],
        displayName: 'Other Group',
        members: [{ value: ids[5] }],
      });
      const added = await call('PATCH', `/Groups/${group.body.id}`, {
        schemas: [PATCH_URN],
        Operations: [{ op: 'add', path: 'members', value: ids.slice(30).map((value) => ({ value })) }],
      });
      expect(added.status).toBe(200);
      expect(added.body.members.map((m: { value: string }) => m.value)).toEqual(ids);
      const removed = await call('PATCH', `/Groups/${group.body.id}`, {
        schemas: [PATCH_URN],
        Operations: ids.slice(0, 10).map((id) => ({ op: 'remove', path: `members[value eq "${id}"]` })),
      });
      expect(removed.status).toBe(200);
      const read = await call('GET', `/Groups/${group.body.id}`);
      expect(read.body.members.map((m: { value: string }) => m.value)).toEqual(ids.slice(10));
      expect(read.body.members[0]).toEqual({
        value: ids[10],
        type: 'User',
        display: 'Batch 10',
        $ref: expect.stringMatching(new RegExp(`/Users/${ids[10]}$`)),
      });
      expect(read.body.meta.version).toBe('W/"3"');
      const groupsWith = async (f: string) =>
        (
          await call('GET', `/Groups?filter=${encodeURIComponent(f)}&attributes=displayName`)
        ).body.Resources.map((r: { displayName: string }) => r.displayName);
      expect(await groupsWith(`members.value eq "${ids[5]}"`)).toEqual(['Other Group']);
      expect((await groupsWith(`members.value eq "${ids[40]}"`)).sort()).toEqual(['Batch Group']);
      expect(await groupsWith(`members[display eq "batch 41"] and displayName sw "Batch"`)).toEqual([
        'Batch Group',
      ]);
      expect(await groupsWith(`members.value eq "${ids[40].toUpperCase()}"`)).toEqual(['Batch Group']);
      expect(
        (
          await call(
            'GET',
            `/Users?filter=${encodeURIComponent(`groups.display eq "batch group" and userName sw "batch-member-"`)}&count=100`,
          )
        ).body.totalResults,
      ).toBe(50);
      const fifth = await call('GET', `/Users/${ids[5]}`);
      expect(fifth.body.groups.map((g: { display: string }) => g.display)).toEqual(['Other Group']);
      const listed = await call(
        'GET',
        `/Users?filter=${encodeURIComponent(`userName eq "batch-member-12"`)}`,
      );
      expect(listed.body.Resources[0].groups).toEqual([
        expect.objectContaining({ value: group.body.id, display: 'Batch Group', type: 'direct' }),
      ]);
      expect((await call('DELETE', `/Users/${ids[12]}`)).status).toBe(204);
      const afterDelete = await call('GET', `/Groups/${group.body.id}`);
      expect(afterDelete.body.members).toHaveLength(49);
      expect(afterDelete.body.meta.version).toBe('W/"4"');
      expect((await call('DELETE', `/Groups/${other.body.id}`)).status).toBe(204);
      expect((await call('GET', `/Users/${ids[5]}`)).body.groups).toBeUndefined();
      const cleared = await call('PUT', `/Groups/${group.body.id}`, {
        schemas: [GROUP_URN],
        displayName: 'Batch Group',
        members: [],
      });
      expect(cleared.status).toBe(200);
      expect((await call('GET', `/Groups/${group.body.id}`)).body.members ?? []).toEqual([]);
      expect(await groupsWith(`members.value eq "${ids[40]}"`)).toEqual([]);
    });

    it('rfc7644 §3.6 DELETE: 204, then 404; every write audited with source and changes; one outbox row per version', async () => {
      const res = await call('DELETE', `/Users/${user.id}`);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expect((await call('GET', `/Users/${user.id}`)).status).toBe(404);
      expect((await call('DELETE', `/Users/${user.id}`)).status).toBe(404);
      const tenantId = asTenantId(ctx.tenantId);
      const audit = await ctx.env.repos.audit.list(tenantId, { limit: 1000, resourceId: user.id });
      expect(audit.map((a) => a.action)).toEqual([
        'scim.User.created',
        'scim.User.replaced',
        'scim.User.patched',
        'scim.User.patched',
        'scim.User.patched',
        'scim.User.deleted',
      ]);
      expect(audit[1]!.sourceId).toEqual(expect.any(String));
      expect(audit[1]!.detail).toMatchObject({ changed: { displayName: { to: 'Writer' } } });
      const outbox = await ctx.env.prisma.$queryRawUnsafe<Array<{ version: number; kind: string }>>(
        `SELECT version, kind FROM outbox WHERE resource_id = $1::uuid ORDER BY seq`,
        user.id,
      );
      expect(outbox).toEqual([
        { version: 1, kind: 'created' },
        { version: 2, kind: 'updated' },
        { version: 3, kind: 'updated' },
        { version: 4, kind: 'updated' },
        { version: 5, kind: 'updated' },
        { version: 6, kind: 'deleted' },
      ]);
      expect(await ctx.env.repos.audit.verifyChain(tenantId)).toBeNull();
    });
  });

  describe('rfc7644 §3.7 Bulk', () => {
    it('§3.7.1/§3.7.2 bulkId references (forward too), each operation with its own status', async () => {
      const res = await call('POST', '/Bulk', {
        schemas: [BULK_REQUEST_URN],
        Operations: [
          {
            method: 'POST',
            path: '/Groups',
            bulkId: 'g1',
            data: {
              schemas: [GROUP_URN],
              displayName: 'Bulk Group',
              members: [{ type: 'User', value: 'bulkId:u1' }],
            },
          },
          {
            method: 'POST',
            path: '/Users',
            bulkId: 'u1',
            data: { schemas: [USER_URN], userName: 'bulk-alice' },
          },
          {
            method: 'PATCH',
            path: '/Users/bulkId:u1',
            data: { schemas: [PATCH_URN], Operations: [{ op: 'replace', path: 'title', value: 'Lead' }] },
          },
          {
            method: 'POST',
            path: '/Users',
            bulkId: 'dup',
            data: { schemas: [USER_URN], userName: 'BULK-ALICE' },
          },
          { method: 'DELETE', path: '/Users/2819c223-7f76-453a-919d-413861904646' },
        ],
      });
      expect(res.status).toBe(200);
      const byId = Object.fromEntries(
        res.body.Operations.map((o: { bulkId?: string; method: string }) => [o.bulkId ?? o.method, o]),
      );
      expect(res.body.Operations[0]).toMatchObject({
        method: 'POST',
        bulkId: 'u1',
        status: '201',
        version: 'W/"1"',
      });
      expect(byId.g1).toMatchObject({ status: '201', location: expect.stringMatching(/\/Groups\//) });
      expect(byId.PATCH).toMatchObject({ status: '200' });
      expect(byId.dup).toMatchObject({ status: '409', response: { scimType: 'uniqueness' } });
      expect(byId.DELETE).toMatchObject({ status: '404' });
      const userId = byId.u1.location.split('/').pop();
      const group = await call('GET', byId.g1.location.replace(/^.*\/scim\/v2/, ''));
      expect(group.body.members.map((m: { value: string }) => m.value)).toEqual([userId]);
      expect((await call('GET', `/Users/${userId}`)).body.title).toBe('Lead');
    });

    it('circular and unresolvable references fail with 409; failOnErrors stops processing', async () => {
      const res = await call('POST', '/Bulk', {
        schemas: [BULK_REQUEST_URN],
        Operations: [
          {
            method: 'POST',
            path: '/Groups',
            bulkId: 'a',
            data: { schemas: [GROUP_URN], displayName: 'A', members: [{ value: 'bulkId:b' }] },
          },
          {
            method: 'POST',
            path: '/Groups',
            bulkId: 'b',
            data: { schemas: [GROUP_URN], displayName: 'B', members: [{ value: 'bulkId:a' }] },
          },
          {
            method: 'POST',
            path: '/Groups',
            bulkId: 'c',
            data: { schemas: [GROUP_URN], displayName: 'C', members: [{ value: 'bulkId:nowhere' }] },
          },
        ],
      });
      expect(res.body.Operations.map((o: { status: string }) => o.status)).toEqual(['409', '409', '409']);
      const stop = await call('POST', '/Bulk', {
        schemas: [BULK_REQUEST_URN],
        failOnErrors: 1,
        Operations: [
          { method: 'POST', path: '/Users', bulkId: 'x', data: { schemas: [USER_URN] } },
          {
            method: 'POST',
            path: '/Users',
            bulkId: 'y',
            data: { schemas: [USER_URN], userName: 'never-created' },
          },
        ],
      });
      expect(stop.body.Operations).toHaveLength(1);
      expect(stop.body.Operations[0]).toMatchObject({ bulkId: 'x', status: '400' });
      expect(
        (await call('GET', `/Users?filter=${encodeURIComponent('userName eq "never-created"')}`)).body
          .totalResults,
      ).toBe(0);
    });

    it('§3.7.4 maxOperations and maxPayloadSize → 413', async () => {
      const ops = Array.from({ length: 1001 }, (_, i) => ({ method: 'DELETE', path: `/Users/${i}` }));
      const tooMany = await call('POST', '/Bulk', { schemas: [BULK_REQUEST_URN], Operations: ops });
      expect(tooMany.status).toBe(413);
      expect(tooMany.body).toMatchObject({ schemas: [ERROR_URN], status: '413' });
      const big = 'x'.repeat(ctx.env.config.http.bodyLimitBytes + 10);
      const tooLarge = await call('POST', '/Bulk', {
        schemas: [BULK_REQUEST_URN],
        Operations: [
          { method: 'POST', path: '/Users', bulkId: 'q', data: { schemas: [USER_URN], userName: big } },
        ],
      });
      expect(tooLarge.status).toBe(413);
      expect(tooLarge.body).toMatchObject({ schemas: [ERROR_URN], status: '413' });
    });
  });

  describe('rfc7644 §3.12 errors: always a SCIM error body, never a framework shape', () => {
    it.each([
      ['GET', '/Users', undefined, undefined, 401],
      ['GET', '/Nowhere', undefined, 'token', 404],
      ['POST', '/Users', '{"schemas":', 'token', 400],
      ['POST', '/Users', { schemas: [USER_URN] }, 'token', 400],
      [
        'PATCH',
        '/Users/2819c223-7f76-453a-919d-413861904646',
        { schemas: [PATCH_URN], Operations: [{ op: 'add', path: 'title', value: 'x' }] },
        'token',
        404,
      ],
    ])('%s %s → %s', async (method, path, body, auth, status) => {
      const res = await scim(ctx.api, auth ? token : undefined, method, path, body);
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/^application\/scim\+json/);
      expect(res.body).toEqual({
        schemas: [ERROR_URN],
        status: String(status),
        detail: expect.any(String),
        ...(res.body.scimType ? { scimType: res.body.scimType } : {}),
      });
      expect(res.text).not.toMatch(/at \w+ \(|node_modules|statusCode/);
      if (status === 401) expect(res.headers.get('www-authenticate')).toBe('Bearer');
    });

    it('403 for a token without the scope', async () => {
      const reader = await ctx.token({ scopes: ['scim:read'] });
      const res = await scim(ctx.api, reader, 'POST', '/Users', { schemas: [USER_URN], userName: 'nope' });
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ schemas: [ERROR_URN], status: '403' });
    });
  });

  it('rfc7644 §4 discovery: ServiceProviderConfig, ResourceTypes, Schemas (and by id)', async () => {
    const spc = await call('GET', '/ServiceProviderConfig');
    expect(spc.body).toMatchObject({
      patch: { supported: true },
      bulk: { supported: true, maxOperations: 1000, maxPayloadSize: ctx.env.config.http.bodyLimitBytes },
      filter: { supported: true, maxResults: 1000 },
      sort: { supported: true },
      etag: { supported: true },
      changePassword: { supported: false },
      pagination: { cursor: true, index: true, defaultPaginationMethod: 'index', cursorTimeout: 3600 },
    });
    const types = await call('GET', '/ResourceTypes');
    expect(types.body.Resources.map((t: { name: string }) => t.name)).toEqual(['User', 'Group', 'Device']);
    expect((await call('GET', '/ResourceTypes/User')).body.schemaExtensions).toEqual([
      { schema: ENTERPRISE_URN, required: false },
    ]);
    const schemas = await call('GET', '/Schemas');
    expect(schemas.body.Resources.map((s: { id: string }) => s.id)).toContain(USER_URN);
    const user = await call('GET', `/Schemas/${USER_URN}`);
    expect(user.body.attributes.find((a: { name: string }) => a.name === 'userName')).toMatchObject({
      uniqueness: 'server',
      caseExact: false,
    });
    expect((await call('GET', '/Schemas/urn:nope:x')).status).toBe(404);
  });
});
