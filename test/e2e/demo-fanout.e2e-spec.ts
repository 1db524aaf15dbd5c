import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../libs/embedded/src';
import { eventually, spawnApp, type HubProcess } from '../harness/processes';

const sh = promisify(execFile);

/**
 * The first five minutes, as a newcomer lives them: `npm start`'s process prints a curl that
 * creates a user and two commands that show it at the demo apps; run as printed, the user shows
 * up at both (the hub's worker pushes it).
 */
describe('npm start: demo apps fan-out', () => {
  let dataDir: string;
  let hub: HubProcess | undefined;

  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scim-hub-demo-'));
    fs.chmodSync(dataDir, 0o755);
  });
  afterAll(async () => {
    if (hub && hub.child.exitCode === null) {
      hub.child.kill('SIGTERM');
      await hub.exited;
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs the printed curl and finds the user at both demo apps', async () => {
    const port = await freePort();
    hub = spawnApp('standalone', { HUB_DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn' });
    await hub.waitForOutput(/Then see it at both demo apps:\n(.*\n){2}/, 90_000);
    const output = hub.output();
    const lines = output.split('\n').map((l) => l.trim());
    const create = lines[lines.indexOf("Create a user through the hub's SCIM server:") + 1]!;
    const showAt = lines.slice(lines.indexOf('Then see it at both demo apps:') + 1).slice(0, 2);
    expect(create).toMatch(/^curl -s -X POST http:\/\/127\.0\.0\.1:\d+\/scim\/v2\/Users /);
    expect(showAt).toHaveLength(2);
    for (const cmd of showAt)
      expect(cmd).toMatch(
        /^curl -s -H "Authorization: Bearer \S+" 'http:\/\/127\.0\.0\.1:\d+\/scim\/v2\/Users\?filter=/,
      );

    const created = JSON.parse((await sh('sh', ['-c', create])).stdout) as { id?: string; userName?: string };
    expect(created.userName).toBe('fry@planetexpress.com');
    expect(created.id).toBeDefined();

    for (const cmd of showAt) {
      const found = await eventually(
        async () => {
          const list = JSON.parse((await sh('sh', ['-c', cmd])).stdout) as {
            totalResults: number;
            Resources: Array<{ userName: string; name?: { givenName?: string } }>;
          };
          return list.totalResults === 1 ? list.Resources[0] : undefined;
        },
        30_000,
        `the user at ${cmd.slice(-80)}`,
      );
      expect(found).toMatchObject({ userName: 'fry@planetexpress.com', name: { givenName: 'Philip' } });
    }

    // Both demo apps are targets of the demo tenant, active.
    const admin = /Admin token \(demo tenant\):\s+(\S+)/.exec(output)![1]!;
    const res = await fetch(`http://127.0.0.1:${port}/admin/v1/targets`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    const targets = ((await res.json()) as { items: Array<{ name: string; state: string }> }).items;
    expect(targets.map((t) => [t.name, t.state])).toEqual([
      ['demo-app-a', 'active'],
      ['demo-app-b', 'active'],
    ]);
    hub.child.kill('SIGTERM');
    expect(await hub.exited).toEqual({ code: 0, signal: null });
  });
});
