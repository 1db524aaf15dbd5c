import { buildPatch, HttpRequestError, ScimClient } from '@hub/scim-client';
import { GROUP_URN, SchemaRegistry, USER_URN, type JsonObject } from '@hub/scim';
import { freePort } from '../harness/slapd';
import { startScimTestServer, type ScimTestServer } from '../harness/scim-test-server';

const TOKEN = 'downstream-token';

async function rejection(promise: Promise<unknown>): Promise<HttpRequestError> {
  try {
    await promise;
  } catch (e) {
    expect(e).toBeInstanceOf(HttpRequestError);
    return e as HttpRequestError;
  }
  throw new Error('expected an HttpRequestError');
}

describe('SCIM client against a loopback SCIM server', () => {
  let server: ScimTestServer;
  let client: ScimClient;
  beforeAll(async () => {
    server = await startScimTestServer({ token: TOKEN, maxPageSize: 4 });
    client = new ScimClient({
      baseUrl: server.baseUrl,
      auth: { type: 'bearer', token: TOKEN },
      retry: { baseDelayMs: 5 },
    });
    for (let i = 1; i <= 10; i++)
      server.seed('User', {
        schemas: [USER_URN],
        userName: `user${String(i).padStart(2, '0')}`,
        active: i % 2 === 0,
      });
  });
  beforeEach(() => {
    server.requests.length = 0;
    server.setRateLimit(undefined);
  });
  afterAll(async () => {
    await client.close();
    await server.close();
  });

  it('discovers capabilities, resource types and schemas', async () => {
    const caps = await client.discover();
    expect(caps).toMatchObject({
      patch: true,
      etag: true,
      filter: { supported: true, maxResults: 4 },
      pagination: { index: true, cursor: true, maxPageSize: 4 },
      authenticationSchemes: ['oauthbearertoken'],
    });
    expect(caps.resourceTypes.get('Group')).toMatchObject({ endpoint: '/Groups', schema: GROUP_URN });
    expect(caps.schemas).toEqual(expect.arrayContaining([USER_URN, GROUP_URN]));
  });

  it.each(['index', 'cursor'] as const)(
    'lists everything with %s paging, page by page',
    async (pagination) => {
      const pages = [];
      for await (const page of client.list('/Users', { pagination, count: 3 })) pages.push(page);
      const names = pages.flatMap((p) => p.resources.map((r) => r.userName));
      expect(names.sort()).toEqual(
        Array.from({ length: 10 }, (_, i) => `user${String(i + 1).padStart(2, '0')}`),
      );
      expect(pages.map((p) => p.resources.length)).toEqual([3, 3, 3, 1]);
      const queries = server.requests.map((r) => r.query);
      expect(queries[0]).toMatchObject(pagination === 'cursor' ? { cursor: '' } : { startIndex: '1' });
    },
  );

  it('filters, searches and projects', async () => {
    const pages = [];
    for await (const page of client.list('/Users', {
      filter: 'active eq true and userName sw "user0"',
      attributes: ['userName'],
    }))
      pages.push(...page.resources);
    expect(pages.map((r) => r.userName).sort()).toEqual(['user02', 'user04', 'user06', 'user08']);
    expect(pages[0]).not.toHaveProperty('active');
    const found = await client.search('/Users', { filter: 'userName eq "USER10"' });
    expect(found).toMatchObject({ totalResults: 1, resources: [{ userName: 'user10' }] });
    const error = await rejection(client.search('/Users', { filter: 'userName zz "x"' }));
    expect(error).toMatchObject({ kind: 'remote', status: 400, scimType: 'invalidFilter' });
  });

  it('creates, reads, patches with buildPatch, replaces with If-Match and deletes', async () => {
    const registry = SchemaRegistry.withBuiltIns();
    const created = await client.create('/Users', {
      schemas: [USER_URN],
      userName: 'bender',
      name: { givenName: 'Bender', familyName: 'Rodriguez' },
      title: 'Robot',
    });
    const id = created.id as string;
    expect(await client.get('/Users', id)).toMatchObject({ userName: 'bender' });

    const desired: JsonObject = {
      ...created,
      name: { givenName: 'Bender', familyName: 'Bending Rodriguez' },
      title: undefined,
    };
    const [operations, ...rest] = buildPatch(created, desired, registry.resourceType('User'));
    expect(rest).toEqual([]);
    const patched = await client.patch('/Users', id, operations!);
    expect(patched).toMatchObject({ name: { familyName: 'Bending Rodriguez' } });
    expect(patched).not.toHaveProperty('title');

    const version = (patched!.meta as { version: string }).version;
    const replaced = await client.replace(
      '/Users',
      id,
      { schemas: [USER_URN], userName: 'bender', displayName: 'B' },
      { ifMatch: version },
    );
    expect(replaced).toMatchObject({ displayName: 'B' });
    await client.delete('/Users', id);
    const gone = await rejection(client.get('/Users', id));
    expect(gone).toMatchObject({ kind: 'remote', status: 404 });

    const duplicate = await rejection(client.create('/Users', { schemas: [USER_URN], userName: 'USER01' }));
    expect(duplicate).toMatchObject({ status: 409, scimType: 'uniqueness' });
  });

  it('keeps group membership exact through batched member PATCHes', async () => {
    const registry = SchemaRegistry.withBuiltIns();
    const ids = [...server.store.get('User')!.keys()];
    const group = await client.create('/Groups', {
      schemas: [GROUP_URN],
      displayName: 'crew',
      members: ids.slice(0, 5).map((value) => ({ value })),
    });
    const desired = { ...group, members: ids.slice(3, 10).map((value) => ({ value })) };
    const requests = buildPatch(group, desired, registry.resourceType('Group'), { batchSize: 2 });
    for (const ops of requests) await client.patch('/Groups', group.id as string, ops);
    const after = await client.get('/Groups', group.id as string);
    expect((after.members as { value: string }[]).map((m) => m.value).sort()).toEqual(
      ids.slice(3, 10).sort(),
    );
    const bodies = server.requests
      .filter((r) => r.method === 'PATCH')
      .map((r) => r.body as { Operations: JsonObject[] });
    expect(bodies).toHaveLength(requests.length);
    expect(bodies.flatMap((b) => b.Operations).some((o) => o.op === 'remove' && o.path === 'members')).toBe(
      false,
    );
  });

  it('honours Retry-After on 429 and 503, and gives up past the budget', async () => {
    server.failNext({ count: 1, status: 429, retryAfter: '1', match: { method: 'GET', path: /\/Users$/ } });
    server.failNext({ count: 1, status: 503, retryAfter: '0', match: { method: 'GET', path: /\/Users$/ } });
    const started = performance.now();
    const page = await client.search('/Users', { filter: 'userName eq "user01"' }).catch(() => undefined);
    expect(page).toBeDefined(); // POST .search is not matched by the injected faults
    for await (const _ of client.list('/Users', { count: 4 })) break;
    expect(performance.now() - started).toBeGreaterThanOrEqual(990);
    expect(server.requests.filter((r) => r.method === 'GET').map((r) => r.status)).toEqual([429, 503, 200]);

    server.failNext({ count: 1, status: 429, retryAfter: '86400' });
    const error = await rejection(client.get('/Users', 'x'));
    expect(error).toMatchObject({ kind: 'rateLimited', status: 429, retryAfterMs: 86_400_000 });
  });

  it('a server-side rate limit is waited out, not failed', async () => {
    server.setRateLimit({ requests: 3, windowMs: 1000 });
    const names: unknown[] = [];
    for await (const page of client.list('/Users', { count: 2 }))
      names.push(...page.resources.map((r) => r.userName));
    expect(names).toHaveLength(10);
    expect(server.requests.some((r) => r.status === 429)).toBe(true);
  });

  it('classifies auth failures, unreachable servers and non-SCIM answers', async () => {
    const wrong = new ScimClient({ baseUrl: server.baseUrl, auth: { type: 'bearer', token: 'nope' } });
    const unauthorised = await rejection(wrong.get('/Users', 'x'));
    await wrong.close();
    expect(unauthorised).toMatchObject({ kind: 'auth', status: 401 });

    const port = await freePort();
    const down = new ScimClient({
      baseUrl: `http://127.0.0.1:${port}/scim`,
      retry: { maxAttempts: 2, baseDelayMs: 1 },
    });
    expect(await rejection(down.get('/Users', '1'))).toMatchObject({ kind: 'unreachable' });
    await down.close();

    server.failNext({ count: 1, status: 200, body: { hello: 'world' } });
    expect(await rejection(client.list('/Users').next())).toMatchObject({ kind: 'protocol' });
  });
});
