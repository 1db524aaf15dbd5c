import { parseApiToken } from '../../libs/auth/src';
import { json } from '../harness/json';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../libs/embedded/src';
import { spawnApp, type HubProcess } from '../harness/processes';

/**
 * `npm start`'s process, for real: embedded PostgreSQL from npm, a private redis-server, a demo
 * tenant. Restarting it keeps the data, and its logs never carry the token.
 */
describe('embedded mode', () => {
  let dataDir: string;
  let port: number;
  let hub: HubProcess | undefined;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scim-hub-embedded-'));
    fs.chmodSync(dataDir, 0o755);
    port = await freePort();
  });
  afterAll(async () => {
    if (hub && hub.child.exitCode === null) {
      hub.child.kill('SIGTERM');
      await hub.exited;
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const start = async () => {
    hub = spawnApp('standalone', { HUB_DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'info' });
    await hub.waitForOutput(/scim-hub is running/, 60_000);
    const token = /Admin token \(demo tenant\):\s+(\S+)/.exec(hub.output())![1]!;
    return { hub, token };
  };
  const stop = async (h: HubProcess) => {
    h.child.kill('SIGTERM');
    return h.exited;
  };
  const get = (token: string, p: string) =>
    fetch(`http://127.0.0.1:${port}${p}`, { headers: { authorization: `Bearer ${token}` } });

  it('starts, serves the printed token, and keeps its data across a restart', async () => {
    const first = await start();
    const tenant = await json(await get(first.token, '/admin/v1/tenant'));
    expect(tenant.tenant.slug).toBe('demo');
    const created = await fetch(`http://127.0.0.1:${port}/admin/v1/api-clients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${first.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'hr-system', scopes: ['scim:write'] }),
    });
    expect(created.status).toBe(201);
    const hrToken = (await json(created)).token as string;
    expect((await fetch(`http://127.0.0.1:${port}/health/ready`)).status).toBe(200);
    expect(await stop(first.hub)).toEqual({ code: 0, signal: null });

    const second = await start();
    expect(second.token).toBe(first.token);
    const again = await json(await get(second.token, '/admin/v1/tenant'));
    expect(again.tenant.id).toBe(tenant.tenant.id);
    const clients = await json(await get(second.token, '/admin/v1/api-clients'));
    expect(clients.items.map((c: { name: string }) => c.name)).toContain('hr-system');
    expect((await get(hrToken, '/admin/v1/tenant')).status).toBe(200);

    const logLines = second.hub
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'));
    expect(logLines.length).toBeGreaterThan(0);
    for (const secret of [first.token, hrToken]) {
      expect(logLines.join('\n')).not.toContain(parseApiToken(secret)!.secret);
    }
    expect(await stop(second.hub)).toEqual({ code: 0, signal: null });
  });
});
