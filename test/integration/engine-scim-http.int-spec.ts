import { randomUUID } from 'node:crypto';
import { issueApiToken } from '../../libs/auth/src';
import { ApiClientRepository, SourceRepository, asTenantId, type TenantId } from '../../libs/persistence/src';
import { json } from '../harness/json';
import { createTestEnv, startApi, type RunningApi, type TestEnv } from '../harness/hub-fixture';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/**
 * Three SCIM clients (HR, LDAP bridge, mail service), each its own source, write the same user
 * through the real API at the same time; the authority rules decide, whatever the interleaving.
 */
describe('engine behind the inbound SCIM server', () => {
  let env: TestEnv;
  let api: RunningApi;
  let tenantId: TenantId;
  let admin: string;
  const tokens: Record<'hr' | 'ldap' | 'mail', string> = { hr: '', ldap: '', mail: '' };
  const sources: Record<'hr' | 'ldap' | 'mail', string> = { hr: '', ldap: '', mail: '' };

  beforeAll(async () => {
    env = await createTestEnv({ DATABASE_POOL_SIZE: '8' });
    api = await startApi(env.config);
    const t = await env.createTenant();
    tenantId = asTenantId(t.tenant.id);
    admin = t.adminToken;
    for (const name of ['hr', 'ldap', 'mail'] as const) {
      sources[name] = (
        await api.app.get(SourceRepository).create(tenantId, {
          name,
          kind: 'scim_inbound',
          roles: { '*': { create: name === 'hr', update: true } },
          config: {},
          enabled: true,
        })
      ).id;
      const issued = issueApiToken(randomUUID());
      await api.app.get(ApiClientRepository).create(tenantId, {
        id: issued.clientId,
        name: `client-${name}`,
        scopes: ['scim:read', 'scim:write'],
        secretHash: issued.secretHash,
        sourceId: sources[name],
      });
      tokens[name] = issued.token;
    }
  });
  afterAll(async () => {
    await api?.close();
    await env?.close();
  });

  const call = async (token: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${api.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/scim+json' } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: res.status === 204 ? undefined : await json(res) };
  };

  it('hundreds of concurrent PATCHes from three clients end as the rules say, one outbox row per version', async () => {
    const rules = await call(admin, 'PUT', '/admin/v1/engine/rules/User', {
      authority: {
        rules: [
          { path: 'title', policy: 'priority', sources: [sources.hr, sources.ldap] },
          { path: 'emails[type eq "work"]', policy: 'priority', sources: [sources.mail, sources.ldap] },
          { path: 'nickName', policy: 'exclusive', sources: [sources.ldap] },
        ],
        defaultRule: { policy: 'priority', sources: [sources.hr, sources.ldap, sources.mail] },
      },
    });
    expect(rules.status).toBe(200);
    const created = await call(tokens.hr, 'POST', '/scim/v2/Users', {
      schemas: [USER],
      userName: 'fry',
      externalId: 'hr-3000',
      title: 'Delivery Boy',
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;

    const K = 60;
    const requests: Promise<{ status: number }>[] = [];
    for (let i = 0; i < K; i++) {
      requests.push(
        call(tokens.hr, 'PATCH', `/scim/v2/Users/${id}`, {
          schemas: [PATCH],
          Operations: [
            { op: 'replace', path: 'title', value: 'Delivery Boy' },
            { op: 'replace', path: 'displayName', value: 'Philip J. Fry' },
          ],
        }),
        call(tokens.ldap, 'PATCH', `/scim/v2/Users/${id}`, {
          schemas: [PATCH],
          Operations: [
            { op: 'replace', path: 'title', value: 'Intern' },
            { op: 'replace', path: 'nickName', value: 'Fry' },
            { op: 'replace', path: 'emails', value: [{ value: 'fry@ldap.example.com', type: 'work' }] },
          ],
        }),
        call(tokens.mail, 'PATCH', `/scim/v2/Users/${id}`, {
          schemas: [PATCH],
          Operations: [
            // The whole attribute: a filtered path would be noTarget (400) while no work email exists yet.
            {
              op: 'replace',
              path: 'emails',
              value: [{ value: 'philip.fry@mail.example.com', type: 'work' }],
            },
          ],
        }),
      );
    }
    const results = await Promise.all(requests);
    expect(results.filter((r) => r.status !== 200).map((r) => r.status)).toEqual([]);

    const read = await call(tokens.mail, 'GET', `/scim/v2/Users/${id}`);
    expect(read.body).toMatchObject({
      userName: 'fry',
      title: 'Delivery Boy',
      displayName: 'Philip J. Fry',
      nickName: 'Fry',
      emails: [{ value: 'philip.fry@mail.example.com', type: 'work' }],
    });
    // externalId is per client: HR sees its own, the mail service has none.
    expect(read.body.externalId).toBeUndefined();
    expect((await call(tokens.hr, 'GET', `/scim/v2/Users/${id}`)).body.externalId).toBe('hr-3000');

    const version = Number(/W\/"(\d+)"/.exec(read.body.meta.version)![1]);
    const outbox = await env.prisma.$queryRawUnsafe<Array<{ version: number }>>(
      `SELECT version FROM outbox WHERE resource_id = $1::uuid ORDER BY seq`,
      id,
    );
    expect(outbox.map((o) => o.version)).toEqual(Array.from({ length: version }, (_, i) => i + 1));
    // Repeating an assertion is no new version: far fewer versions than requests.
    expect(version).toBeLessThan(10);

    const why = await call(admin, 'GET', `/admin/v1/engine/resources/${id}/explanation?paths=title`);
    expect(why.body.attributes[0].sentence).toMatch(
      /^title = "Delivery Boy" from hr \(priority 1\) since .*; ldap says "Intern" \(priority 2, lower\)$/,
    );
  });

  it('a POST from a client that may not create is kept as an uncorrelated contribution: 202, listed for the admin', async () => {
    const res = await call(tokens.ldap, 'POST', '/scim/v2/Users', {
      schemas: [USER],
      userName: 'zoidberg',
      externalId: 'z1',
    });
    expect(res.status).toBe(202);
    expect(res.body.detail).toMatch(/^Accepted as contribution [0-9a-f-]{36}: no resource matches it/);
    expect(
      (await call(tokens.ldap, 'GET', '/scim/v2/Users?filter=userName%20eq%20%22zoidberg%22')).body
        .totalResults,
    ).toBe(0);
    const parked = await call(admin, 'GET', '/admin/v1/engine/uncorrelated');
    expect(parked.body.items).toEqual([
      expect.objectContaining({ sourceId: sources.ldap, externalId: 'z1', resourceId: null }),
    ]);
  });
});
