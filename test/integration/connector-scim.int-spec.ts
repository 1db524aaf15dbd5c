import {
  collectPull,
  ConnectorError,
  FullPullTracker,
  ScimUpstreamConnector,
  type ScimUpstreamConfig,
} from '@hub/connectors';
import { ScimClient } from '@hub/scim-client';
import { GROUP_URN, USER_URN } from '@hub/scim';
import { startScimTestServer, type ScimTestServer } from '../harness/scim-test-server';

const TOKEN = 'upstream-token';
const LONG_AGO = '2024-01-01T00:00:00.000Z';

describe('upstream SCIM connector against a loopback SCIM server', () => {
  let upstream: ScimTestServer;
  let admin: ScimClient;
  const connectors: ScimUpstreamConnector[] = [];
  const connector = (extra: Partial<ScimUpstreamConfig> = {}) => {
    const c = new ScimUpstreamConnector({
      baseUrl: upstream.baseUrl,
      auth: { type: 'bearer', token: TOKEN },
      pageSize: 3,
      deltaOverlapMs: 0,
      ...extra,
    });
    connectors.push(c);
    return c;
  };
  const userIds: string[] = [];
  let groupId: string;

  beforeAll(async () => {
    upstream = await startScimTestServer({ token: TOKEN, maxPageSize: 50 });
    admin = new ScimClient({ baseUrl: upstream.baseUrl, auth: { type: 'bearer', token: TOKEN } });
    for (const name of ['fry', 'leela', 'bender', 'amy', 'hermes', 'zoidberg', 'professor']) {
      const user = upstream.seed(
        'User',
        {
          schemas: [USER_URN],
          userName: name,
          externalId: `hr-${name}`,
          name: { givenName: name.toUpperCase() },
        },
        LONG_AGO,
      );
      userIds.push(user.id as string);
    }
    groupId = upstream.seed(
      'Group',
      {
        schemas: [GROUP_URN],
        displayName: 'ship_crew',
        members: userIds.slice(0, 3).map((value) => ({ value })),
      },
      LONG_AGO,
    ).id as string;
  });
  beforeEach(() => {
    upstream.requests.length = 0;
    upstream.setOptions({ filterSupported: true, cursorPaging: true });
  });
  afterAll(async () => {
    await Promise.all(connectors.map((c) => c.close()));
    await admin.close();
    await upstream.close();
  });

  it('full pull: users and groups in pages, group members as source keys, cursor paging when offered', async () => {
    const batches = [];
    for await (const b of connector().fullPull()) batches.push(b);
    const records = batches.flatMap((b) => b.records);
    expect(batches.every((b) => b.mode === 'full' && b.records.length <= 3)).toBe(true);
    expect(
      records
        .filter((r) => r.resourceType === 'User')
        .map((r) => r.sourceKey)
        .sort(),
    ).toEqual([...userIds].sort());
    const fry = records.find((r) => r.sourceKey === userIds[0])!;
    expect(fry).toEqual({
      resourceType: 'User',
      sourceKey: userIds[0],
      externalId: 'hr-fry',
      attributes: { schemas: [USER_URN], userName: 'fry', name: { givenName: 'FRY' } },
    });
    const crew = records.find((r) => r.resourceType === 'Group')!;
    expect(crew).toMatchObject({ sourceKey: groupId, attributes: { displayName: 'ship_crew' } });
    expect([...crew.members!].sort()).toEqual(userIds.slice(0, 3).sort());
    const lists = upstream.requests.filter((r) => r.method === 'GET' && /\/(Users|Groups)$/.test(r.path));
    expect(lists.every((r) => r.query.cursor !== undefined && r.query.filter === undefined)).toBe(true);
    expect(batches.at(-1)!.cursor).toMatchObject({ kind: 'scim' });
  });

  it('delta asks for meta.lastModified gt the watermark and returns only what changed', async () => {
    const c = connector({ pagination: 'index' });
    const full = await collectPull(c.fullPull());
    await admin.patch('/Users', userIds[1]!, [{ op: 'replace', path: 'title', value: 'Captain' }]);
    await admin.patch('/Groups', groupId, [{ op: 'remove', path: `members[value eq "${userIds[0]}"]` }]);
    upstream.requests.length = 0;

    const delta = await collectPull(c.deltaPull(full.cursor!));
    expect(delta.mode).toBe('delta');
    expect(delta.records.map((r) => r.sourceKey).sort()).toEqual([userIds[1], groupId].sort());
    expect(delta.records.find((r) => r.sourceKey === userIds[1])!.attributes).toMatchObject({
      title: 'Captain',
    });
    expect([...delta.records.find((r) => r.sourceKey === groupId)!.members!].sort()).toEqual(
      userIds.slice(1, 3).sort(),
    );
    const filters = upstream.requests.map((r) => r.query.filter).filter(Boolean);
    expect(filters.length).toBeGreaterThan(0);
    expect(filters.every((f) => f === `meta.lastModified gt "${String(full.cursor!.watermark)}"`)).toBe(true);
  });

  it('falls back to a full pull when the server cannot filter, and then deletions can be inferred', async () => {
    const c = connector();
    const full = await collectPull(c.fullPull());
    await admin.delete('/Users', userIds[5]!);
    upstream.setOptions({ filterSupported: false });
    upstream.requests.length = 0;

    const tracker = new FullPullTracker();
    let mode: string | undefined;
    for await (const batch of c.deltaPull(full.cursor!)) {
      mode = batch.mode;
      tracker.observe(batch);
    }
    tracker.complete();
    expect(mode).toBe('full');
    expect(upstream.requests.some((r) => r.query.filter !== undefined)).toBe(false);
    const known = full.records.filter((r) => r.resourceType === 'User').map((r) => r.sourceKey);
    expect([...tracker.unseen('User', known)]).toEqual([userIds[5]]);
  });

  it('falls back to full when the server advertises filtering but refuses the lastModified filter', async () => {
    const c = connector();
    const full = await collectPull(c.fullPull());
    upstream.failNext({
      count: 1,
      status: 400,
      body: {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
        status: '400',
        scimType: 'invalidFilter',
      },
      match: { method: 'GET', path: /\/Users$/ },
    });
    const result = await collectPull(c.deltaPull(full.cursor!));
    expect(result.mode).toBe('full');
    expect(result.records.filter((r) => r.resourceType === 'User').length).toBe(
      full.records.filter((r) => r.resourceType === 'User').length,
    );
  });

  it('maps attributes when asked, and reports a wrong token as an auth error', async () => {
    const mapped = await collectPull(
      connector({
        resources: [
          {
            resourceType: 'User',
            filter: 'userName eq "leela"',
            mapping: {
              rules: [
                { target: 'userName', source: 'userName', transform: 'upper' },
                { target: 'nickName', source: 'name.givenName', transform: 'lower' },
              ],
            },
          },
        ],
      }).fullPull(),
    );
    expect(mapped.records.map((r) => r.attributes)).toEqual([
      { schemas: [USER_URN], userName: 'LEELA', nickName: 'leela' },
    ]);

    const wrong = connector({ auth: { type: 'bearer', token: 'nope' } });
    const error = await wrong.testConnection().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectorError);
    expect(error).toMatchObject({ kind: 'auth' });
  });
});
