import fs from 'node:fs';
import path from 'node:path';
import { asTenantId } from '../../libs/persistence/src';
import {
  ERROR_URN,
  PATCH_URN,
  USER_URN,
  scim,
  startScim,
  type ScimTestContext,
} from '../fixtures/scim/scim-harness';

interface Step {
  name: string;
  method: string;
  path: string;
  body?: unknown;
  capture?: string;
  expect: { status: number; body?: unknown; absent?: string[] };
}

const fixture = (name: string) =>
  JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'scim', name), 'utf8')) as {
    dialect: 'entra' | 'okta';
    steps: Step[];
  };

function substitute(value: unknown, ids: Record<string, string>): unknown {
  if (typeof value === 'string') return value.replace(/\{(\w+)\}/g, (m, k: string) => ids[k] ?? m);
  if (Array.isArray(value)) return value.map((v) => substitute(v, ids));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, ids)]));
  return value;
}

describe('real client traffic and tenant features', () => {
  let ctx: ScimTestContext;
  beforeAll(async () => (ctx = await startScim()));
  afterAll(() => ctx.close());

  describe.each(['entra-provisioning.json', 'okta-provisioning.json'])('replays %s', (file) => {
    const { dialect, steps } = fixture(file);
    const ids: Record<string, string> = {};
    let token: string;
    beforeAll(async () => (token = await ctx.token({ dialect, name: `${dialect}-client` })));

    it.each(steps.map((s) => [s.name, s] as const))('%s', async (_name, step) => {
      const url = (substitute(step.path, ids) as string).replace(/ /g, '%20').replace(/"/g, '%22');
      const res = await scim(ctx.api, token, step.method, url, substitute(step.body, ids), {
        // Both clients send JSON; Okta's documented requests carry application/json.
        ...(step.body !== undefined
          ? { 'content-type': dialect === 'okta' ? 'application/json' : 'application/scim+json' }
          : {}),
      });
      expect({ step: step.name, status: res.status, body: res.body }).toMatchObject({
        step: step.name,
        status: step.expect.status,
        ...(step.expect.body ? { body: substitute(step.expect.body, ids) } : {}),
      });
      for (const key of step.expect.absent ?? []) expect(res.body[key]).toBeUndefined();
      if (step.capture) ids[step.capture] = res.body.id;
    });
  });

  it('the entra remove-members quirk is refused under the rfc dialect (it would otherwise clear the group)', async () => {
    const token = await ctx.token();
    const u = (await scim(ctx.api, token, 'POST', '/Users', { schemas: [USER_URN], userName: 'rfc-member' }))
      .body;
    const g = (
      await scim(ctx.api, token, 'POST', '/Groups', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
        displayName: 'G',
        members: [{ value: u.id }],
      })
    ).body;
    const res = await scim(ctx.api, token, 'PATCH', `/Groups/${g.id}`, {
      schemas: [PATCH_URN],
      Operations: [{ op: 'remove', path: 'members', value: [{ value: u.id }] }],
    });
    expect(res.status).toBe(400);
    expect((await scim(ctx.api, token, 'GET', `/Groups/${g.id}`)).body.members).toHaveLength(1);
  });

  it('/Me: the bound user, self-service attributes only, other changes 403', async () => {
    const writer = await ctx.token();
    const me = (
      await scim(ctx.api, writer, 'POST', '/Users', { schemas: [USER_URN], userName: 'self', title: 'Clerk' })
    ).body;
    const selfToken = await ctx.token({ scopes: ['scim:me'], selfResourceId: me.id });
    const got = await scim(ctx.api, selfToken, 'GET', '/Me');
    expect(got.status).toBe(200);
    expect(got.body.id).toBe(me.id);
    expect(got.headers.get('location')).toMatch(new RegExp(`/Users/${me.id}$`));
    const ok = await scim(ctx.api, selfToken, 'PATCH', '/Me', {
      schemas: [PATCH_URN],
      Operations: [{ op: 'replace', path: 'nickName', value: 'Selfie' }],
    });
    expect(ok.status).toBe(200);
    expect(ok.body.nickName).toBe('Selfie');
    const refused = await scim(ctx.api, selfToken, 'PATCH', '/Me', {
      schemas: [PATCH_URN],
      Operations: [{ op: 'replace', path: 'title', value: 'CEO' }],
    });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({
      schemas: [ERROR_URN],
      status: '403',
      detail: expect.stringContaining('title'),
    });
    expect((await scim(ctx.api, writer, 'GET', `/Users/${me.id}`)).body.title).toBe('Clerk');
    expect((await scim(ctx.api, selfToken, 'GET', '/Users')).status).toBe(403);
    const unbound = await ctx.token({ scopes: ['scim:me'] });
    expect((await scim(ctx.api, unbound, 'GET', '/Me')).status).toBe(404);
    const audit = await ctx.env.repos.audit.list(asTenantId(ctx.tenantId), {
      limit: 1000,
      resourceId: me.id,
    });
    expect(audit.find((a) => a.action === 'scim.User.patched')!.detail).toMatchObject({
      channel: 'scim:/Me',
    });
  });

  it('throttling: over the tenant rate → 429 SCIM error with Retry-After', async () => {
    const settings = await scim(ctx.api, ctx.adminToken, 'PUT', '/admin/v1/scim-settings', {
      rateLimit: { requestsPerSecond: 1, burst: 3 },
    });
    expect(settings.status).toBe(200);
    const token = await ctx.token();
    const statuses: number[] = [];
    let limited;
    for (let i = 0; i < 5; i++) {
      const res = await scim(ctx.api, token, 'GET', '/ServiceProviderConfig');
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
    expect(statuses).toContain(429);
    expect(limited!.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(limited!.body).toMatchObject({ schemas: [ERROR_URN], status: '429' });
    // Another client of the same tenant has its own bucket.
    expect((await scim(ctx.api, await ctx.token(), 'GET', '/ServiceProviderConfig')).status).toBe(200);
    await scim(ctx.api, ctx.adminToken, 'PUT', '/admin/v1/scim-settings', {
      rateLimit: { requestsPerSecond: 100000, burst: 100000 },
    });
  });

  it('custom schemas and resource types per tenant: validated, stored, served, filtered like core ones; Device built in', async () => {
    const admin = (method: string, p: string, body?: unknown) =>
      scim(ctx.api, ctx.adminToken, method, p, body);
    const ext = 'urn:ietf:params:scim:schemas:extension:acme:2.0:User';
    const bad = await admin('POST', '/admin/v1/schemas', { id: 'not a urn', attributes: [] });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBeDefined();
    const schema = await admin('POST', '/admin/v1/schemas', {
      id: ext,
      name: 'AcmeUser',
      attributes: [
        {
          name: 'badge',
          type: 'integer',
          multiValued: false,
          required: false,
          mutability: 'readWrite',
          returned: 'default',
          uniqueness: 'none',
        },
      ],
    });
    expect(schema.status).toBe(201);
    expect(
      (
        await admin('POST', '/admin/v1/resource-types', {
          id: 'User',
          name: 'User',
          endpoint: '/Users',
          schema: USER_URN,
          schemaExtensions: [{ schema: ext, required: false }],
        })
      ).status,
    ).toBe(201);
    const robotUrn = 'urn:ietf:params:scim:schemas:acme:2.0:Robot';
    expect(
      (
        await admin('POST', '/admin/v1/schemas', {
          id: robotUrn,
          name: 'Robot',
          attributes: [
            { name: 'serial', type: 'string', required: true },
            { name: 'built', type: 'dateTime' },
          ],
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await admin('POST', '/admin/v1/resource-types', {
          id: 'Robot',
          name: 'Robot',
          endpoint: '/Robots',
          schema: robotUrn,
          schemaExtensions: [],
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await admin('POST', '/admin/v1/resource-types', {
          id: 'Me2',
          name: 'Me2',
          endpoint: '/Me',
          schema: robotUrn,
          schemaExtensions: [],
        })
      ).status,
    ).toBe(409);

    const token = await ctx.token();
    const types = await scim(ctx.api, token, 'GET', '/ResourceTypes');
    expect(types.body.Resources.map((t: { name: string }) => t.name)).toEqual([
      'User',
      'Group',
      'Device',
      'Robot',
    ]);
    expect((await scim(ctx.api, token, 'GET', `/Schemas/${robotUrn}`)).status).toBe(200);
    const user = await scim(ctx.api, token, 'POST', '/Users', {
      schemas: [USER_URN, ext],
      userName: 'badged',
      [ext]: { badge: 42 },
    });
    expect(user.status).toBe(201);
    expect(user.body[ext]).toEqual({ badge: 42 });
    expect(
      (
        await scim(ctx.api, token, 'POST', '/Users', {
          schemas: [USER_URN, ext],
          userName: 'badged2',
          [ext]: { badge: 'x' },
        })
      ).status,
    ).toBe(400);
    const byBadge = await scim(
      ctx.api,
      token,
      'GET',
      `/Users?filter=${encodeURIComponent(`${ext}:badge gt 40`)}`,
    );
    expect(byBadge.body.Resources.map((r: { userName: string }) => r.userName)).toEqual(['badged']);
    for (const [serial, built] of [
      ['R2', '2020-01-01T00:00:00Z'],
      ['C3', '2021-06-01T12:00:00+02:00'],
    ]) {
      const robot = await scim(ctx.api, token, 'POST', '/Robots', { schemas: [robotUrn], serial, built });
      expect(robot.status).toBe(201);
      expect(robot.body.meta.location).toMatch(/\/scim\/v2\/Robots\//);
    }
    const newer = await scim(
      ctx.api,
      token,
      'GET',
      `/Robots?filter=${encodeURIComponent('built gt "2020-06-01T00:00:00Z"')}&sortBy=serial`,
    );
    expect(newer.body.Resources.map((r: { serial: string }) => r.serial)).toEqual(['C3']);
    const device = await scim(ctx.api, token, 'POST', '/Devices', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Device'],
      displayName: 'BLE Heart Monitor',
      active: true,
    });
    expect(device.status).toBe(201);
    expect((await admin('DELETE', '/admin/v1/resource-types/Robot')).status).toBe(409);
  });
});
