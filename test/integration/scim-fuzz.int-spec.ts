import fc from 'fast-check';
import { asTenantId } from '../../libs/persistence/src';
import {
  ERROR_URN,
  GROUP_URN,
  PATCH_URN,
  USER_URN,
  scim,
  startScim,
  type ScimTestContext,
} from '../fixtures/scim/scim-harness';

/**
 * Thousands of malformed bodies, filters and paths against the real server: every answer is a
 * 4xx SCIM error body, and the stored data (resources, contributions, outbox) does not change.
 */
describe('SCIM server fuzz', () => {
  let ctx: ScimTestContext;
  let token: string;
  let userId: string;
  let groupId: string;

  beforeAll(async () => {
    ctx = await startScim();
    token = await ctx.token({ dialect: 'entra' });
    userId = (
      await scim(ctx.api, token, 'POST', '/Users', {
        schemas: [USER_URN],
        userName: 'fuzz',
        emails: [{ value: 'f@x.org', type: 'work' }],
      })
    ).body.id;
    groupId = (
      await scim(ctx.api, token, 'POST', '/Groups', {
        schemas: [GROUP_URN],
        displayName: 'FG',
        members: [{ value: userId }],
      })
    ).body.id;
  });
  afterAll(() => ctx.close());

  const snapshot = async () =>
    ctx.env.prisma.$queryRawUnsafe<Array<{ t: string }>>(
      `SELECT (SELECT jsonb_agg(to_jsonb(r) ORDER BY r.id) FROM resources r WHERE tenant_id = $1::uuid)::text ||
              (SELECT count(*) FROM outbox WHERE tenant_id = $1::uuid)::text ||
              (SELECT count(*) FROM contributions WHERE tenant_id = $1::uuid)::text AS t`,
      asTenantId(ctx.tenantId),
    );

  const expectScimError = (res: { status: number; body: unknown; text: string }, what: unknown) => {
    if (!(res.status >= 400 && res.status < 500))
      throw new Error(`${res.status} for ${JSON.stringify(what)}: ${res.text}`);
    const body = res.body as { schemas?: unknown; status?: unknown };
    if (JSON.stringify(body?.schemas) !== JSON.stringify([ERROR_URN]) || body.status !== String(res.status))
      throw new Error(`not a SCIM error body for ${JSON.stringify(what)}: ${res.text}`);
  };

  const json = fc.jsonValue({ maxDepth: 4 });
  const filterText = fc.oneof(
    fc.string({ maxLength: 60 }),
    fc
      .tuple(
        fc.constantFrom(
          'userName',
          'emails',
          'emails.value',
          'meta.created',
          'active',
          'name',
          'x',
          'groups',
          'members',
          '(',
          'not',
        ),
        fc.constantFrom('eq', 'ne', 'co', 'sw', 'gt', 'pr', 'xx', '[', ''),
        fc.oneof(
          fc.constant('"a'),
          fc.constant('12'),
          fc.constant('true'),
          fc.constant('null'),
          fc.string({ maxLength: 8 }),
        ),
      )
      .map(([a, o, v]) => `${a} ${o} ${v}`),
  );

  it('malformed filters, paths and bodies: only 4xx SCIM errors, no change in stored data', async () => {
    const before = await snapshot();
    await fc.assert(
      fc.asyncProperty(filterText, async (f) => {
        const res = await scim(ctx.api, token, 'GET', `/Users?filter=${encodeURIComponent(f)}&count=1`);
        if (res.status === 200) return; // some random strings are valid filters
        expectScimError(res, f);
      }),
      { numRuns: 600 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          'POST /Users',
          'POST /Groups',
          `PUT /Users/${userId}`,
          `PATCH /Users/${userId}`,
          `PATCH /Groups/${groupId}`,
          'POST /Bulk',
          'POST /.search',
        ),
        fc.oneof(
          json,
          json.filter((v) => typeof v !== 'string').map((v) => ({ schemas: [USER_URN], userName: v })),
          fc.constant({ schemas: [USER_URN], userName: '  ' }),
          // Malformed operations: unknown op names, or paths that cannot parse or resolve.
          fc.record({
            schemas: fc.constant([PATCH_URN]),
            Operations: fc.array(
              fc.oneof(
                fc.record({
                  op: fc.constantFrom('x', 'delete', '', 'ADD!'),
                  path: fc.string({ maxLength: 20 }),
                  value: json,
                }),
                fc.record({
                  op: fc.constantFrom('add', 'Remove', 'replace'),
                  path: fc.constantFrom(
                    'emails[type eq',
                    'nosuch',
                    'members[value eq "x"].nope',
                    'name.nope',
                    '[]',
                    'urn:x:y',
                    'emails[nope eq 1]',
                  ),
                  value: json,
                }),
              ),
              { minLength: 1, maxLength: 3 },
            ),
          }),
        ),
        async (route, body) => {
          const [method, path] = route.split(' ') as [string, string];
          const res = await scim(ctx.api, token, method, path, body);
          if (method === 'POST' && path === '/Bulk' && res.status === 200) {
            for (const op of res.body.Operations)
              if (Number(op.status) < 400) throw new Error(`bulk op succeeded: ${JSON.stringify(body)}`);
            return;
          }
          if (path === '/.search' && res.status === 200) return;
          expectScimError(res, { route, body });
        },
      ),
      { numRuns: 1500 },
    );
    for (const raw of ['{', '[1,2', '"\\u0000', 'null', '{"schemas":[1]}', '\u0000\u0001']) {
      expectScimError(await scim(ctx.api, token, 'POST', '/Users', raw), raw);
    }
    for (const path of [
      '/Users/%00',
      '/Users/..%2F..',
      '/Nope/x',
      '/Users/x/y/z',
      '/Schemas/urn:x',
      `/Users/${userId}?attributes=${'a,'.repeat(2000)}`,
    ]) {
      const res = await scim(ctx.api, token, 'GET', path);
      if (res.status === 200) continue;
      expectScimError(res, path);
    }
    expect(await snapshot()).toEqual(before);
  });
});
