import {
  collectPull,
  ConnectorError,
  RestConnector,
  type RestConnectorConfig,
  type RestPagination,
  type RestResourceConfig,
} from '@hub/connectors';
import { ENTERPRISE_USER_URN } from '@hub/scim';
import { freePort } from '../harness/slapd';
import { startRestFixtureServer, type RestFixtureServer } from '../fixtures/rest/rest-fixture-server';

const MAPPING = {
  rules: [
    { target: 'userName', source: 'email', transform: 'lower' },
    { target: 'name.givenName', source: 'name.first' },
    { target: 'name.familyName', source: 'name.last' },
    { target: 'emails[type eq "work"].value', source: 'email', transform: 'lower' },
    { target: `${ENTERPRISE_USER_URN}:department`, source: 'department' },
    { target: `${ENTERPRISE_USER_URN}:employeeNumber`, source: 'id' },
  ],
};

function employees(
  style: string,
  pagination: RestPagination,
  extra: Partial<RestResourceConfig> = {},
): RestResourceConfig {
  const recordsPath = { page: 'data', offset: 'items', cursor: 'results', link: undefined }[style];
  return {
    resourceType: 'User',
    path: `/api/${style}/employees`,
    ...(recordsPath ? { recordsPath } : {}),
    keyField: 'id',
    externalIdField: 'id',
    mapping: MAPPING,
    pagination,
    deletedWhen: { field: 'status', values: ['terminated'] },
    delta: { param: 'updated_since' },
    ...extra,
  };
}

const STYLES: [string, RestPagination][] = [
  ['page', { style: 'page', pageSize: 5 }],
  ['offset', { style: 'offset', limit: 5, totalPath: 'total' }],
  ['cursor', { style: 'cursor', cursorPath: 'paging.next', sizeParam: 'limit', pageSize: 5 }],
  ['link', { style: 'link', sizeParam: 'per_page', pageSize: 5 }],
];

async function failure(promise: Promise<unknown>): Promise<ConnectorError> {
  try {
    await promise;
  } catch (e) {
    expect(e).toBeInstanceOf(ConnectorError);
    return e as ConnectorError;
  }
  throw new Error('expected a ConnectorError');
}

describe('REST JSON connector against a loopback HR API', () => {
  let api: RestFixtureServer;
  const connectors: RestConnector[] = [];
  const connector = (config: Omit<RestConnectorConfig, 'baseUrl'> & { baseUrl?: string }) => {
    const c = new RestConnector({ baseUrl: api.baseUrl, retry: { baseDelayMs: 10 }, ...config });
    connectors.push(c);
    return c;
  };
  beforeAll(async () => (api = await startRestFixtureServer(23)));
  beforeEach(() => {
    api.requests.length = 0;
    api.setAuth({ type: 'none' });
    api.throttle(0, '0');
  });
  afterAll(async () => {
    await Promise.all(connectors.map((c) => c.close()));
    await api.close();
  });

  it.each(STYLES)(
    '%s pagination reads every record in pages of 5, terminated ones as deletions',
    async (style, pagination) => {
      const batches = [];
      for await (const b of connector({ resources: [employees(style, pagination)] }).fullPull())
        batches.push(b);
      const records = batches.flatMap((b) => b.records);
      expect(records.map((r) => r.sourceKey)).toEqual(
        api.employees.filter((e) => e.status === 'active').map((e) => e.id),
      );
      expect(batches.flatMap((b) => b.deletions ?? [])).toEqual(['E007']);
      expect(batches.every((b) => b.records.length + (b.deletions?.length ?? 0) <= 5)).toBe(true);
      expect(batches.at(-1)!.cursor).toMatchObject({ kind: 'rest' });
      // 23 records in pages of 5: five requests, and no extra empty page.
      expect(api.requests.length).toBe(5);
      expect(records[0]).toEqual({
        resourceType: 'User',
        sourceKey: 'E001',
        externalId: 'E001',
        attributes: {
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE_USER_URN],
          userName: 'ada.lovelace.1@example.com',
          name: { givenName: 'Ada', familyName: 'Lovelace' },
          emails: [{ type: 'work', value: 'ada.lovelace.1@example.com' }],
          [ENTERPRISE_USER_URN]: { department: 'Sales', employeeNumber: 'E001' },
        },
      });
    },
  );

  it('reads groups with member keys', async () => {
    const result = await collectPull(
      connector({
        resources: [
          {
            resourceType: 'Group',
            path: '/api/any/teams',
            recordsPath: 'teams',
            keyField: 'id',
            membersField: 'members',
            memberKeyField: 'id',
            mapping: { rules: [{ target: 'displayName', source: 'title' }] },
            pagination: { style: 'none' },
          },
        ],
      }).fullPull(),
    );
    expect(result.records.map((r) => [r.sourceKey, r.attributes.displayName, r.members])).toEqual([
      ['T1', 'Compilers', ['E001', 'E002']],
      ['T2', 'Sales', ['E003']],
    ]);
  });

  it('delta passes the watermark and returns only what changed since', async () => {
    let now = new Date('2024-06-01T12:00:00.000Z');
    const c = new RestConnector(
      {
        baseUrl: api.baseUrl,
        deltaOverlapMs: 60_000,
        resources: [employees('offset', { style: 'offset', limit: 5 })],
      },
      { now: () => now },
    );
    connectors.push(c);
    const full = await collectPull(c.fullPull());
    expect(full.cursor).toMatchObject({ watermark: '2024-06-01T11:59:00.000Z' });
    api.employees[2]!.updatedAt = '2024-06-01T12:00:30.000Z';
    api.employees[2]!.department = 'Research';
    now = new Date('2024-06-01T13:00:00.000Z');
    api.requests.length = 0;
    const delta = await collectPull(c.deltaPull(full.cursor!));
    expect(delta.mode).toBe('delta');
    expect(delta.records.map((r) => r.sourceKey)).toEqual(['E003']);
    expect(api.requests[0]!.query.updated_since).toBe('2024-06-01T11:59:00.000Z');
    expect(delta.cursor).toMatchObject({ watermark: '2024-06-01T12:59:00.000Z' });
  });

  it.each([
    [
      { type: 'bearer', token: 't0k3n' },
      { type: 'bearer', token: 't0k3n' },
    ],
    [
      { type: 'basic', username: 'hub', password: 'p@ss:word' },
      { type: 'basic', username: 'hub', password: 'p@ss:word' },
    ],
    [
      { type: 'apiKey', header: 'X-Api-Key', value: 'k-123' },
      { type: 'apiKey', header: 'X-Api-Key', value: 'k-123' },
    ],
  ] as const)(
    'authenticates with %j and reports wrong credentials as auth errors',
    async (server, client) => {
      api.setAuth(server);
      const resources = [employees('page', { style: 'page', pageSize: 10 })];
      expect((await collectPull(connector({ auth: client, resources }).fullPull())).records).toHaveLength(22);
      const wrong =
        client.type === 'bearer'
          ? { ...client, token: 'nope' }
          : client.type === 'basic'
            ? { ...client, password: 'nope' }
            : { ...client, value: 'nope' };
      const error = await failure(connector({ auth: wrong, resources }).testConnection());
      expect(error).toMatchObject({ kind: 'auth', retryable: false });
      expect(error.message).toContain('HTTP 401');
      expect(error.message).not.toMatch(/t0k3n|p@ss|k-123/);
    },
  );

  it('OAuth2 client credentials: one token for many pages, refreshed once after revocation, bad secret is auth', async () => {
    api.setAuth({ type: 'oauth2', clientId: 'hub client', clientSecret: 's3cret&=' });
    const auth = {
      type: 'oauth2ClientCredentials',
      tokenUrl: `${api.baseUrl}/oauth/token`,
      clientId: 'hub client',
      clientSecret: 's3cret&=',
    } as const;
    const c = connector({ auth, resources: [employees('page', { style: 'page', pageSize: 5 })] });
    const before = api.tokenRequests;
    expect((await collectPull(c.fullPull())).records).toHaveLength(22);
    expect(api.tokenRequests - before).toBe(1);
    api.revokeTokens();
    expect((await collectPull(c.fullPull())).records).toHaveLength(22);
    expect(api.tokenRequests - before).toBe(2);

    const bad = await failure(
      connector({
        auth: { ...auth, clientSecret: 'wrong' },
        resources: [employees('page', { style: 'page' })],
      }).testConnection(),
    );
    expect(bad.kind).toBe('auth');
    expect(bad.message).toContain('invalid_client');
    expect(bad.message).not.toContain('wrong');
  });

  it('waits out a 429 as long as Retry-After says, then continues', async () => {
    api.throttle(1, '1');
    const started = performance.now();
    const result = await collectPull(
      connector({ resources: [employees('page', { style: 'page', pageSize: 10 })] }).fullPull(),
    );
    const elapsed = performance.now() - started;
    expect(result.records).toHaveLength(22);
    expect(api.requests.map((r) => r.status)).toEqual([429, 200, 200, 200]);
    expect(elapsed).toBeGreaterThanOrEqual(990);
    const [throttled, retried] = api.requests;
    expect(retried!.at - throttled!.at).toBeGreaterThanOrEqual(990);
  });

  it('gives up at once when Retry-After is beyond the budget, and after too many 429s', async () => {
    api.throttle(1, '3600');
    const started = performance.now();
    const tooLong = await failure(
      collectPull(connector({ resources: [employees('page', { style: 'page' })] }).fullPull()),
    );
    expect(performance.now() - started).toBeLessThan(1000);
    expect(tooLong.kind).toBe('remote');
    expect(tooLong.message).toMatch(/HTTP 429.*rate limited/);

    api.throttle(10, '0');
    const storm = await failure(
      collectPull(
        connector({
          retry: { maxAttempts: 3 },
          resources: [employees('page', { style: 'page' })],
        }).fullPull(),
      ),
    );
    expect(storm.message).toContain('HTTP 429');
    expect(api.requests.filter((r) => r.status === 429)).toHaveLength(4);
  });

  it('keeps to the configured request rate', async () => {
    await collectPull(
      connector({
        rateLimit: { requestsPerSecond: 20, burst: 1 },
        resources: [employees('page', { style: 'page', pageSize: 5 })],
      }).fullPull(),
    );
    const times = api.requests.map((r) => r.at);
    expect(times).toHaveLength(5);
    // 20/s is one request per 50 ms, spaced where they leave. Arrivals are stamped by a server on
    // this test's own event loop, so a late stamp shortens the next gap or the span by as much (up
    // to ~25 ms seen under a loaded CI). The first arrival is also late by the TCP connect, so it
    // is left out. What must hold: no gap near the ~0 ms of two requests let through together,
    // and the last three gaps span their 150 ms but for that jitter (without the limit: ~5 ms).
    for (let i = 2; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(25);
    expect(times[4]! - times[1]!).toBeGreaterThanOrEqual(125);
  });

  it('reports configuration and network problems precisely', async () => {
    const wrongPath = await failure(
      connector({
        resources: [employees('page', { style: 'page' }, { recordsPath: 'meta' })],
      }).testConnection(),
    );
    expect(wrongPath).toMatchObject({ kind: 'config' });
    expect(wrongPath.message).toContain('"meta" is not an array of records');

    const notFound = await failure(
      connector({ resources: [employees('nope', { style: 'none' })] }).testConnection(),
    );
    expect(notFound).toMatchObject({ kind: 'config' });
    expect(notFound.message).toContain('HTTP 404');

    const port = await freePort();
    const down = await failure(
      connector({
        baseUrl: `http://127.0.0.1:${port}`,
        retry: { maxAttempts: 2, baseDelayMs: 1 },
        resources: [employees('page', { style: 'page' })],
      }).testConnection(),
    );
    expect(down.kind).toBe('unreachable');

    expect(() =>
      connector({ baseUrl: 'ftp://x', resources: [employees('page', { style: 'page' })] }),
    ).toThrow(ConnectorError);
  });
});
