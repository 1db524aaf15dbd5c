import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDemoScimApp } from '@hub/demo-scim-app';
import { TargetRepository, asTenantId, targetSecretsBinding } from '@hub/persistence';
import { HttpClient, httpProbeTransport, runDialectProbe } from '@hub/scim-client';
import { SecretBox } from '@hub/secrets';
import { startDemoApps } from '../../apps/standalone/src/demo-apps';
import { createTestEnv, type TestEnv } from '../harness/hub-fixture';

/** The demo SCIM apps of `npm start`: honest SCIM servers, registered once as demo targets. */
describe('demo SCIM apps', () => {
  let env: TestEnv;
  let dataDir: string;
  beforeAll(async () => {
    env = await createTestEnv();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'demo-apps-'));
  });
  afterAll(async () => {
    await env.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves SCIM with its token only, and passes the dialect probe but for ETags', async () => {
    const app = await startDemoScimApp({ name: 'demo-x', token: 'demo-token' });
    try {
      const users = `${app.baseUrl}/Users`;
      expect((await fetch(users)).status).toBe(401);
      expect((await fetch(users, { headers: { authorization: 'Bearer nope-token' } })).status).toBe(401);
      const http = new HttpClient({ baseUrl: app.baseUrl, auth: { type: 'bearer', token: 'demo-token' } });
      const report = await runDialectProbe(httpProbeTransport(http));
      await http.close();
      const notSupported = report.checks.filter((c) => c.outcome !== 'supported').map((c) => c.id);
      expect(notSupported).toEqual(['paging.cursor', 'etag.ifMatch']);
      expect(app.users()).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('takes another port when the preferred one is busy', async () => {
    const first = await startDemoScimApp({ name: 'a', token: 't' });
    const second = await startDemoScimApp({ name: 'b', token: 't', port: first.port });
    expect(second.port).not.toBe(first.port);
    await Promise.all([first.close(), second.close()]);
  });

  it('registers both apps as targets of the tenant once, refreshing their URL on restart', async () => {
    const tenant = await env.createTenant('demo');
    const tenantId = asTenantId(tenant.tenant.id);
    const box = new SecretBox(randomBytes(32));
    const first = await startDemoApps(env.prisma, box, tenantId, dataDir, 0);
    await first.close();
    // As if the app had another port last time.
    const repo = new TargetRepository(env.prisma);
    const stale = (await repo.list(tenantId))[0]!;
    await repo.update(tenantId, stale.id, { baseUrl: 'http://127.0.0.1:9/scim/v2' });
    const second = await startDemoApps(env.prisma, box, tenantId, dataDir, 0);
    try {
      const targets = await repo.list(tenantId);
      expect(targets.map((t) => t.name)).toEqual(['demo-app-a', 'demo-app-b']);
      expect(targets.map((t) => t.baseUrl)).toEqual(second.apps.map((a) => a.baseUrl));
      expect(second.token).toBe(first.token);
      const opened = box.open(targets[0]!.sealedSecrets!, targetSecretsBinding(tenantId, targets[0]!.id));
      expect(opened).toEqual({ token: second.token });
      // The registered token opens the running app.
      const res = await fetch(`${targets[1]!.baseUrl}/ServiceProviderConfig`, {
        headers: { authorization: `Bearer ${opened.token}` },
      });
      expect(res.status).toBe(200);
    } finally {
      await second.close();
    }
  });
});
