import { Test } from '@nestjs/testing';
import type { INestApplicationContext } from '@nestjs/common';
import { ENTERPRISE_USER_URN } from '@hub/scim';
import { compileRules, resolveGolden, type Contribution } from '../../libs/engine/src';
import { HubConfigModule } from '../../libs/config/src';
import {
  EngineStore,
  PersistenceModule,
  SourceRepository,
  asTenantId,
  type GoldenRecord,
  type TenantId,
  type WriteContext,
} from '../../libs/persistence/src';
import {
  AggregationModule,
  BatchAggregationService,
  ContributionParkedError,
  EngineSweepService,
  EngineConfigService,
  EngineInboundWriter,
  TenantSchemas,
} from '../../libs/aggregation/src';
import { createTestEnv, type TestEnv } from '../harness/hub-fixture';
import { eventually } from '../harness/processes';

const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User';

/**
 * The engine behind the inbound gateway on real Postgres: contributions of three sources to one
 * identity, written hundreds at a time in parallel, end in the same golden record whatever the
 * interleaving, with exactly one outbox row per committed version.
 */
describe('aggregation engine on Postgres', () => {
  let env: TestEnv;
  let app: INestApplicationContext;
  let writer: EngineInboundWriter;
  let configs: EngineConfigService;
  let tenantId: TenantId;
  const src: Record<'hr' | 'ldap' | 'mail' | 'scim', string> = { hr: '', ldap: '', mail: '', scim: '' };

  beforeAll(async () => {
    env = await createTestEnv({ DATABASE_POOL_SIZE: '8' });
    tenantId = asTenantId((await env.createTenant()).tenant.id);
    app = await Test.createTestingModule({
      imports: [HubConfigModule.forRoot(env.config), PersistenceModule, AggregationModule],
    }).compile();
    await app.init();
    writer = app.get(EngineInboundWriter);
    configs = app.get(EngineConfigService);
    const sources = app.get(SourceRepository);
    const make = async (name: string, create: boolean) =>
      (
        await sources.create(tenantId, {
          name,
          kind: 'scim_inbound',
          roles: { '*': { create, update: true } },
          config: {},
          enabled: true,
        })
      ).id;
    src.hr = await make('HR', true);
    src.ldap = await make('LDAP', false);
    src.mail = await make('Mail', false);
    src.scim = await make('Plain SCIM client', true);
  });
  afterAll(async () => {
    await app?.close();
    await env?.close();
  });

  const ctx = (sourceId: string, t: TenantId = tenantId): WriteContext => ({
    tenantId: t,
    sourceId,
    actor: { type: 'api_client', id: 'test' },
    channel: 'test',
  });
  const create = (sourceId: string, attributes: Record<string, unknown>, externalId: string | null = null) =>
    writer.create(ctx(sourceId), {
      resourceType: 'User',
      view: { attributes: { schemas: [CORE], ...attributes }, externalId },
      nameKey: typeof attributes.userName === 'string' ? attributes.userName.toLowerCase() : null,
    });
  /** A PATCH as the HTTP layer applies it: a function of the golden record the client reads.
   * (A JSON copy, not structuredClone: that builds objects of another realm under jest.) */
  const patch = (sourceId: string, id: string, fn: (a: Record<string, unknown>) => Record<string, unknown>) =>
    writer.update(ctx(sourceId), {
      resourceType: 'User',
      id,
      kind: 'patch',
      change: (current: GoldenRecord) => ({
        view: {
          attributes: fn(JSON.parse(JSON.stringify(current.attributes))),
          externalId: current.externalId,
        },
        nameKey: null,
      }),
    });
  const outboxVersions = async (id: string) =>
    (
      await env.prisma.$queryRawUnsafe<Array<{ version: number; kind: string }>>(
        `SELECT version, kind FROM outbox WHERE resource_id = $1::uuid ORDER BY seq`,
        id,
      )
    ).map((r) => r.version);
  const golden = async (id: string) =>
    (
      await env.prisma.$queryRawUnsafe<Array<{ attributes: Record<string, unknown>; version: number }>>(
        `SELECT attributes, version FROM resources WHERE id = $1::uuid`,
        id,
      )
    )[0];

  it('a tenant with no rules behaves as the pass-through: the one source is the golden record', async () => {
    const other = asTenantId((await env.createTenant()).tenant.id);
    const only = await app.get(SourceRepository).create(other, {
      name: 'scim-client:x',
      kind: 'scim_inbound',
      roles: { '*': { create: true, update: true } },
      config: {},
      enabled: true,
    });
    const c = () => ctx(only.id, other);
    const made = await writer.create(c(), {
      resourceType: 'User',
      view: { attributes: { schemas: [CORE], userName: 'bender', title: 'Robot' }, externalId: 'b-1' },
      nameKey: 'bender',
    });
    expect(made).toMatchObject({
      version: 1,
      externalId: 'b-1',
      attributes: { userName: 'bender', title: 'Robot' },
    });
    const again = await writer.update(c(), {
      resourceType: 'User',
      id: made.id,
      kind: 'replace',
      change: (cur) => ({
        view: { attributes: { ...cur.attributes }, externalId: cur.externalId },
        nameKey: 'bender',
      }),
    });
    expect(again?.version).toBe(1); // identical assertion: no new version
    const replaced = await writer.update(c(), {
      resourceType: 'User',
      id: made.id,
      kind: 'replace',
      change: () => ({
        view: { attributes: { schemas: [CORE], userName: 'bender' }, externalId: 'b-1' },
        nameKey: 'bender',
      }),
    });
    expect(replaced?.attributes).toEqual({ schemas: [CORE], userName: 'bender' });
    expect(replaced?.version).toBe(2);
    expect(await outboxVersions(made.id)).toEqual([1, 2]);
    expect(await writer.delete(c(), { resourceType: 'User', id: made.id })).toBe(true);
    expect(await golden(made.id)).toBeUndefined();
    expect(await outboxVersions(made.id)).toEqual([1, 2, 3]);
  });

  it('concurrent contributions from three sources converge whatever the interleaving, one outbox row per version', async () => {
    await configs.save(tenantId, 'User', {
      authority: {
        rules: [
          { path: 'title', policy: 'priority', sources: [src.hr, src.ldap] },
          { path: 'emails[type eq "work"]', policy: 'priority', sources: [src.mail, src.ldap] },
          { path: 'nickName', policy: 'exclusive', sources: [src.ldap] },
        ],
        defaultRule: { policy: 'priority', sources: [src.hr, src.ldap, src.mail] },
        transforms: [],
      },
      correlation: [
        { kind: 'link' },
        { kind: 'attribute', path: `${ENTERPRISE_USER_URN}:employeeNumber`, normalise: [] },
      ],
    });
    const K = 100; // writes per source per identity: 300 concurrent transactions on one record
    const P = 15; // distinct phone numbers per source (later writes repeat earlier ones)
    const run = async (employee: string, seed: number) => {
      const made = await create(src.hr, {
        userName: `u${employee}`,
        [ENTERPRISE_USER_URN]: { employeeNumber: employee },
      });
      const writes: (() => Promise<unknown>)[] = [];
      for (const [name, sourceId] of [
        ['hr', src.hr],
        ['ldap', src.ldap],
        ['mail', src.mail],
      ] as const)
        for (let i = 0; i < K; i++)
          writes.push(() =>
            patch(sourceId, made.id, (a) => {
              // Each source always says the same about the contested attributes and adds one
              // phone number of its own: the final contributions do not depend on the order.
              const phones = Array.isArray(a.phoneNumbers) ? (a.phoneNumbers as unknown[]) : [];
              return {
                ...a,
                title: `${name} title`,
                nickName: `${name} nick`,
                emails: [{ value: `${name}@example.com`, type: 'work' }],
                phoneNumbers: [
                  ...phones.filter((p) => (p as { type: string }).type !== `${name}-${i % P}`),
                  { value: `+1 555 ${i % P}`, type: `${name}-${i % P}` },
                ],
              };
            }),
          );
      // A different, seeded order per identity; all in flight at once.
      let s = seed;
      const rnd = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      for (let i = writes.length - 1; i > 0; i--) {
        const j = Math.floor(rnd() * (i + 1));
        [writes[i], writes[j]] = [writes[j]!, writes[i]!];
      }
      await Promise.all(writes.map((w) => w()));
      return made.id;
    };
    const a = await run('1001', 7);
    const b = await run('1002', 99991);
    const ga = (await golden(a))!;
    const gb = (await golden(b))!;
    const strip = (g: Record<string, unknown>) => {
      const { userName: _u, [ENTERPRISE_USER_URN]: _e, ...rest } = g;
      return rest;
    };
    expect(strip(ga.attributes)).toEqual(strip(gb.attributes));
    expect(ga.attributes).toMatchObject({
      title: 'hr title',
      nickName: 'ldap nick',
      emails: [{ value: 'mail@example.com', type: 'work' }],
    });
    // Every source's phone numbers survived: no write was lost in the race.
    expect((ga.attributes.phoneNumbers as unknown[]).length).toBe(3 * P);

    for (const id of [a, b]) {
      const g = (await golden(id))!;
      // Versions 1..N, each exactly once in the outbox, none missing.
      expect(await outboxVersions(id)).toEqual(Array.from({ length: g.version }, (_, i) => i + 1));
      // The stored record is what the engine makes of the stored contributions.
      const rows = await env.prisma.$queryRawUnsafe<Array<Record<string, unknown>>>(
        `SELECT source_id, source_key, attributes, asserted_at FROM contributions WHERE resource_id = $1::uuid AND deleted_at IS NULL`,
        id,
      );
      expect(rows).toHaveLength(3);
      const view = await app.get(TenantSchemas).view(tenantId, 'User');
      const stored = await configs.stored(tenantId, 'User');
      const rules = compileRules({ ...(stored.authority as object), resourceType: 'User' } as never, view);
      const contributions: Contribution[] = rows.map((r) => ({
        sourceId: r.source_id as string,
        sourceKey: r.source_key as string,
        resourceType: 'User',
        attributes: r.attributes as Record<string, unknown>,
        assertedAt: r.asserted_at as Date,
      }));
      expect(resolveGolden({ contributions, rules, now: new Date() }).resource).toEqual(g.attributes);
    }
  });

  it('correlation: LDAP (may not create) joins by employeeNumber, parks when nothing matches, opens a case on two', async () => {
    const fry = await create(src.hr, {
      userName: 'fry',
      title: 'Delivery Boy',
      [ENTERPRISE_USER_URN]: { employeeNumber: '3000' },
    });
    const joined = await create(src.ldap, {
      userName: 'pjfry',
      title: 'Intern',
      emails: [{ value: 'fry@pe.com', type: 'work' }],
      [ENTERPRISE_USER_URN]: { employeeNumber: '3000' },
    });
    expect(joined.id).toBe(fry.id);
    expect(joined.attributes).toMatchObject({
      userName: 'fry',
      title: 'Delivery Boy',
      emails: [{ value: 'fry@pe.com', type: 'work' }],
    });
    expect(joined.version).toBe(2);

    await expect(
      create(src.ldap, { userName: 'zoidberg', [ENTERPRISE_USER_URN]: { employeeNumber: '9' } }, 'z-1'),
    ).rejects.toThrow(ContributionParkedError);
    // Retrying the parked POST stores nothing new.
    await expect(
      create(src.ldap, { userName: 'zoidberg', [ENTERPRISE_USER_URN]: { employeeNumber: '9' } }, 'z-1'),
    ).rejects.toThrow(ContributionParkedError);
    const parked = await env.prisma.$queryRawUnsafe<unknown[]>(
      `SELECT 1 FROM contributions WHERE source_id = $1::uuid AND resource_id IS NULL AND deleted_at IS NULL`,
      src.ldap,
    );
    expect(parked).toHaveLength(1);

    // Two golden records with the same employeeNumber (HR made a twin): never merge on a guess.
    const twin = await create(src.hr, {
      userName: 'fry2',
      [ENTERPRISE_USER_URN]: { employeeNumber: '3001' },
    });
    await patch(src.hr, twin.id, (a) => ({ ...a, [ENTERPRISE_USER_URN]: { employeeNumber: '3000' } }));
    const error = await create(src.mail, {
      emails: [{ value: 'x@pe.com', type: 'work' }],
      [ENTERPRISE_USER_URN]: { employeeNumber: '3000' },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContributionParkedError);
    expect((error as ContributionParkedError).caseId).toBeDefined();
    const cases = await env.prisma.$queryRawUnsafe<Array<{ candidates: string[]; status: string }>>(
      `SELECT candidates::text[] AS candidates, status FROM correlation_cases WHERE tenant_id = $1::uuid`,
      tenantId,
    );
    expect(cases).toHaveLength(1);
    expect(cases[0]!.candidates).toContain(fry.id);
    expect(cases[0]!.candidates).toHaveLength(2);
  });

  it('a non-authoritative PATCH is kept in the contribution but does not change the golden record', async () => {
    const leela = await create(src.hr, {
      userName: 'leela',
      title: 'Captain',
      [ENTERPRISE_USER_URN]: { employeeNumber: '4000' },
    });
    const after = await patch(src.ldap, leela.id, (a) => ({ ...a, title: 'Pilot' }));
    expect(after?.attributes.title).toBe('Captain');
    expect(after?.version).toBe(1);
    const own = await env.prisma.$queryRawUnsafe<Array<{ attributes: Record<string, unknown> }>>(
      `SELECT attributes FROM contributions WHERE source_id = $1::uuid AND resource_id = $2::uuid`,
      src.ldap,
      leela.id,
    );
    // LDAP asserts only what it changed, not HR's userName it echoed back.
    expect(own[0]!.attributes).toEqual({ schemas: [CORE], title: 'Pilot' });
    // HR withdraws its title: LDAP's becomes the golden one, a new version.
    const withdrawn = await patch(src.hr, leela.id, (a) => {
      const { title: _t, ...rest } = a;
      return rest;
    });
    expect(withdrawn?.attributes.title).toBe('Pilot');
    expect(withdrawn?.version).toBe(2);
  });

  it('a parked contribution joins when its identity appears (the sweep)', async () => {
    await expect(
      create(src.ldap, {
        userName: 'hermes',
        title: 'Bureaucrat',
        [ENTERPRISE_USER_URN]: { employeeNumber: '5000' },
      }),
    ).rejects.toThrow(ContributionParkedError);
    const hermes = await create(src.hr, {
      userName: 'hermes',
      [ENTERPRISE_USER_URN]: { employeeNumber: '5000' },
    });
    expect(hermes.attributes.title).toBeUndefined();
    const swept = await app.get(EngineSweepService).rejoinParked();
    expect(swept.joined).toBeGreaterThanOrEqual(1);
    const g = (await golden(hermes.id))!;
    expect(g.attributes.title).toBe('Bureaucrat');
    expect(await outboxVersions(hermes.id)).toEqual([1, 2]);
  });

  it("lifecycle: the authority's deletion suspends, a re-hire within grace reactivates, the sweep deletes after grace", async () => {
    await configs.save(tenantId, 'User', { lifecycle: { authorities: [src.hr], graceMs: 3_600_000 } });
    const amy = await create(src.hr, {
      userName: 'amy',
      active: true,
      [ENTERPRISE_USER_URN]: { employeeNumber: '6000' },
    });
    await patch(src.ldap, amy.id, (a) => ({ ...a, nickName: 'Amy' }));
    // LDAP is not the lifecycle authority: its deletion only withdraws its contribution.
    expect(await writer.delete(ctx(src.ldap), { resourceType: 'User', id: amy.id })).toBe(true);
    expect((await golden(amy.id))!.attributes.nickName).toBeUndefined();
    expect(await writer.delete(ctx(src.hr), { resourceType: 'User', id: amy.id })).toBe(true);
    const suspended = await env.prisma.$queryRawUnsafe<
      Array<{ attributes: Record<string, unknown>; lifecycle_state: string; delete_after: Date }>
    >(`SELECT attributes, lifecycle_state, delete_after FROM resources WHERE id = $1::uuid`, amy.id);
    expect(suspended[0]).toMatchObject({
      lifecycle_state: 'suspended',
      attributes: { userName: 'amy', active: false },
    });
    expect(suspended[0]!.delete_after.getTime()).toBeGreaterThan(Date.now() + 3_500_000);
    // Re-hired within grace: HR asserts her again.
    const back = await patch(src.hr, amy.id, (a) => ({ ...a, active: true, title: 'Intern' }));
    expect(back?.attributes).toMatchObject({ active: true, title: 'Intern' });
    // Deleted again, and the grace period passes.
    await writer.delete(ctx(src.hr), { resourceType: 'User', id: amy.id });
    await env.prisma.$executeRawUnsafe(
      `UPDATE resources SET delete_after = now() - interval '1 second' WHERE id = $1::uuid`,
      amy.id,
    );
    expect(await app.get(EngineSweepService).deleteDue()).toBe(1);
    expect(await golden(amy.id)).toBeUndefined();
    const kinds = await env.prisma.$queryRawUnsafe<Array<{ kind: string }>>(
      `SELECT kind FROM outbox WHERE resource_id = $1::uuid ORDER BY seq`,
      amy.id,
    );
    expect(kinds.map((k) => k.kind).at(-1)).toBe('deleted');
    await configs.save(tenantId, 'User', { lifecycle: null });
  });

  it('batches (connector syncs): one transaction per batch, joins by employeeNumber, an unchanged batch does no work', async () => {
    const batches = app.get(BatchAggregationService);
    const store = app.get(EngineStore);
    const n = 150;
    const run = (sourceId: string, make: (i: number) => Record<string, unknown>) =>
      store.transaction(async (tx) => {
        const config = await app.get(EngineConfigService).get(tenantId, 'User', tx);
        return batches.assertBatch(
          tx,
          { tenantId, sourceId, actor: { type: 'source', id: sourceId }, channel: 'test:batch' },
          config,
          Array.from({ length: n }, (_, i) => ({
            resourceType: 'User',
            sourceKey: `k-${i}`,
            externalId: null,
            attributes: { schemas: [CORE], ...make(i) },
          })),
        );
      });
    const emp = (i: number) => ({ [ENTERPRISE_USER_URN]: { employeeNumber: `b-${i}` } });
    // Bulk work refreshes the planner's statistics as it goes (the threshold lowered to 150 rows).
    const analysed = async () =>
      (
        await env.prisma.$queryRawUnsafe<Array<{ at: Date | null }>>(
          `SELECT last_analyze AS at FROM pg_stat_user_tables WHERE relname = 'contributions'`,
        )
      )[0]!.at?.getTime() ?? 0;
    const before = await analysed();
    batches.statisticsAfterRows = 150;
    expect(await run(src.hr, (i) => ({ userName: `batch${i}`, title: `HR ${i}`, ...emp(i) }))).toMatchObject({
      created: n,
      versions: n,
    });
    batches.statisticsAfterRows = 10_000;
    await eventually(
      async () => ((await analysed()) > before ? true : undefined),
      10_000,
      'statistics refreshed',
    );
    expect(
      await run(src.ldap, (i) => ({ title: `LDAP ${i}`, nickName: `nick${i}`, ...emp(i) })),
    ).toMatchObject({
      joined: n,
      versions: n, // nickName is LDAP's (exclusive): every record changes
    });
    const again = await run(src.ldap, (i) => ({ title: `LDAP ${i}`, nickName: `nick${i}`, ...emp(i) }));
    expect(again).toMatchObject({ unchanged: n, versions: 0 });
    const rows = await env.prisma.$queryRawUnsafe<
      Array<{ attributes: Record<string, unknown>; version: number; id: string }>
    >(
      `SELECT id, attributes, version FROM resources WHERE tenant_id = $1::uuid AND name_key LIKE 'batch%' ORDER BY name_key`,
      tenantId,
    );
    expect(rows).toHaveLength(n);
    for (const r of rows) {
      expect(r.version).toBe(2);
      expect(r.attributes.title).toMatch(/^HR /); // HR outranks LDAP for title
      expect(r.attributes.nickName).toMatch(/^nick/);
      expect(await outboxVersions(r.id)).toEqual([1, 2]);
    }
    const ids = rows.map((r) => r.id);
    // Every contribution names its record; each record is found by its one employeeNumber.
    const linked = await env.prisma.$queryRawUnsafe<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM contributions WHERE source_key LIKE 'k-%' AND resource_id = ANY($1::uuid[])`,
      ids,
    );
    expect(linked[0]!.n).toBe(2 * n);
    const keysOf = async () =>
      (
        await env.prisma.$queryRawUnsafe<Array<{ value: string }>>(
          `SELECT value FROM engine_match_keys WHERE resource_id = ANY($1::uuid[]) ORDER BY value`,
          ids,
        )
      ).map((k) => k.value);
    expect(await keysOf()).toEqual(Array.from({ length: n }, (_, i) => `b-${i}`).sort());

    // A new employeeNumber replaces the record's key; LDAP (may not create) with a number no record
    // has is parked, unlinked.
    const moved = await run(src.hr, (i) => ({
      userName: `batch${i}`,
      title: `HR ${i}`,
      ...emp(i === 0 ? 9999 : i),
    }));
    expect(moved).toMatchObject({ updated: 1, unchanged: n - 1, versions: 1 });
    expect(await keysOf()).toEqual(
      [...Array.from({ length: n - 1 }, (_, i) => `b-${i + 1}`), 'b-9999'].sort(),
    );
    const stray = await store.transaction(async (tx) =>
      batches.assertBatch(
        tx,
        { tenantId, sourceId: src.ldap, actor: { type: 'source', id: src.ldap }, channel: 'test:batch' },
        await app.get(EngineConfigService).get(tenantId, 'User', tx),
        [
          {
            resourceType: 'User',
            sourceKey: 'stray',
            externalId: null,
            attributes: { schemas: [CORE], title: 'nobody', ...emp(123456) },
          },
        ],
      ),
    );
    expect(stray).toMatchObject({ parked: 1, created: 0, versions: 0 });
    const parked = await env.prisma.$queryRawUnsafe<Array<{ resource_id: string | null }>>(
      `SELECT resource_id FROM contributions WHERE source_id = $1::uuid AND source_key = 'stray'`,
      src.ldap,
    );
    expect(parked).toEqual([{ resource_id: null }]);
  });
});
