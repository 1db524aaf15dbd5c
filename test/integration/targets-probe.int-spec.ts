import {
  HttpClient,
  httpProbeTransport,
  runDialectProbe,
  ScimClient,
  type ProbeReport,
} from '@hub/scim-client';
import { startScimTestServer, type ScimTestServer } from '../harness/scim-test-server';
import { startThirdPartyScimServer, type ThirdPartyScimServer } from '../harness/third-party-scim-server';

/**
 * The dialect probe against real SCIM servers on loopback: our own test server (configured to
 * lack features), a server built on a third-party library (SCIMMY), and targets that fail midway.
 * Whatever happens, the throwaway users are gone afterwards.
 */
const outcomes = (report: ProbeReport) => Object.fromEntries(report.checks.map((c) => [c.id, c.outcome]));

async function probe(baseUrl: string, token?: string): Promise<ProbeReport> {
  const options = {
    baseUrl,
    retry: { maxAttempts: 1 },
    ...(token ? { auth: { type: 'bearer' as const, token } } : {}),
  };
  const scim = new ScimClient(options);
  const http = new HttpClient(options);
  try {
    const capabilities = await scim.discover().catch(() => undefined);
    return await runDialectProbe(httpProbeTransport(http), capabilities ? { capabilities } : {});
  } finally {
    await Promise.all([scim.close(), http.close()]);
  }
}

describe('dialect probe', () => {
  let server: ScimTestServer;
  let thirdParty: ThirdPartyScimServer;
  beforeAll(async () => {
    server = await startScimTestServer({ token: 'probe-token' });
    thirdParty = await startThirdPartyScimServer();
  });
  afterAll(async () => {
    await server.close();
    await thirdParty.close();
  });
  beforeEach(() => {
    server.setOptions({ filterSupported: true, cursorPaging: true });
    server.store.get('User')!.clear();
  });

  it('finds what a capable server does, and the ETag it advertises but ignores', async () => {
    const report = await probe(server.baseUrl, 'probe-token');
    const o = outcomes(report);
    expect(o.create).toBe('supported');
    for (const id of [
      'filter.eq',
      'filter.co',
      'filter.sw',
      'filter.and',
      'filter.pr',
      'filter.gt.lastModified',
    ])
      expect([id, o[id]]).toEqual([id, 'supported']);
    expect(o['paging.index']).toBe('supported');
    expect(o['paging.cursor']).toBe('supported');
    expect(o['patch.valuePath']).toBe('supported');
    expect(o['patch.deactivate']).toBe('supported');
    expect(o['put.replaces']).toBe('supported');
    expect(o['uniqueness.409']).toBe('supported');
    expect(o.delete).toBe('supported');
    // The test server advertises ETags and sends them, but does not check If-Match.
    const etag = report.checks.find((c) => c.id === 'etag.ifMatch')!;
    expect(etag).toMatchObject({ outcome: 'unsupported', advertised: true });
    expect(etag.detail).toMatch(/If-Match ignored/);
    expect(etag.evidence.some((e) => e.method === 'PATCH' && e.status === 200)).toBe(true);
    expect(report.userName).toMatch(/^scimhub-probe-[0-9a-f]{10}$/);
    expect(report.dialect).toMatchObject({ put: 'replace', paging: { index: true, cursor: true } });
    expect(report.cleanup.leftBehind).toEqual([]);
    expect(server.store.get('User')!.size).toBe(0);
  });

  it('reports refused filters and missing cursor paging with their evidence', async () => {
    server.setOptions({ filterSupported: false, cursorPaging: false });
    const report = await probe(server.baseUrl, 'probe-token');
    const eq = report.checks.find((c) => c.id === 'filter.eq')!;
    expect(eq).toMatchObject({ outcome: 'unsupported', advertised: false });
    expect(eq.evidence[0]).toMatchObject({ method: 'GET', status: 400 });
    expect(eq.evidence[0]!.path).toContain('filter=userName+eq');
    expect(outcomes(report)['filter.pr']).toBe('skipped');
    expect(outcomes(report)['paging.cursor']).toBe('unsupported');
    expect(outcomes(report)['paging.index']).toBe('supported');
    expect(report.dialect.filterOperators).toEqual([]);
    expect(server.store.get('User')!.size).toBe(0);
  });

  it('probes a server built on a third-party SCIM library (SCIMMY)', async () => {
    const report = await probe(thirdParty.baseUrl, thirdParty.token);
    const o = outcomes(report);
    expect(o.create).toBe('supported');
    expect(o['filter.eq']).toBe('supported');
    expect(o['patch.valuePath']).toBe('supported');
    expect(o['uniqueness.409']).toBe('supported');
    // SCIMMY's routers hand query strings to a constructor that only takes numbers: count is ignored.
    expect(report.checks.find((c) => c.id === 'paging.index')!.detail).toMatch(/count not honoured/);
    expect(report.checks.find((c) => c.id === 'etag.ifMatch')!.detail).toMatch(/no ETag/);
    expect(report.checks.find((c) => c.id === 'paging.cursor')!.outcome).toBe('unsupported');
    expect(thirdParty.users()).toEqual([]);
  });

  it('deletes the probe user even when the target fails midway', async () => {
    const failing = await startScimTestServer();
    failing.failNext({ count: 1000, status: 500, match: { method: 'PATCH' } });
    failing.failNext({ count: 1, status: 500, match: { method: 'DELETE' } });
    const report = await probe(failing.baseUrl);
    const patch = report.checks.find((c) => c.id === 'patch.replace.path')!;
    expect(patch.outcome).toBe('unsupported');
    expect(patch.evidence[0]).toMatchObject({ method: 'PATCH', status: 500 });
    expect(outcomes(report).delete).toBe('error');
    expect(report.cleanup.leftBehind).toEqual([]);
    expect(failing.store.get('User')!.size).toBe(0);
    await failing.close();
  });

  it('says auth when the target refuses the credentials, and touches nothing', async () => {
    const report = await probe(server.baseUrl, 'wrong-token');
    const create = report.checks.find((c) => c.id === 'create')!;
    expect(create.outcome).toBe('error');
    expect(create.detail).toMatch(/^auth: /);
    expect(create.detail).not.toContain('wrong-token');
    expect(report.checks.filter((c) => c.outcome === 'skipped')).toHaveLength(report.checks.length - 1);
    expect(server.store.get('User')!.size).toBe(0);
  });
});
