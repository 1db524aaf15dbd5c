import { TargetLinkRepository, TargetRepository, targetSecretsBinding } from '../../libs/persistence/src';
import { PushStepService, coreCapabilities, identityUsers } from '../../libs/push/src';
import { SecretBox } from '../../libs/secrets/src';
import { startHub, type RunningHub } from '../harness/hub-fixture';
import { USER_SCHEMA, inboundScimSource, strictCaller, type Call } from '../harness/push-fixture';
import { startScimTestServer, type ScimTestServer } from '../harness/scim-test-server';

/**
 * A create whose answer is lost (the target carried out the POST, then the connection dropped)
 * and a leaver before the push could try again: the account the hub never learnt about must not
 * stay active. Push steps are driven by hand (this worker consumes no push jobs), so the order of
 * events is exactly the one that stranded an account in CI.
 */
describe('Active Push after a lost answer', () => {
  let hub: RunningHub;
  let scim: Call;
  let server: ScimTestServer;

  beforeAll(async () => {
    hub = await startHub('events');
    scim = strictCaller(`${hub.api.baseUrl}/scim/v2`, (await inboundScimSource(hub.api, hub.tenantId)).token);
    server = await startScimTestServer({ token: 'tok-lost' });
  });

  afterAll(async () => {
    await hub?.close();
    await server?.close();
  });

  it('finds the account a lost create made, by the hub id, and disables it when the person leaves', async () => {
    const { api, worker, tenantId } = hub;
    const target = await api.app.get(TargetRepository).create(
      tenantId,
      {
        name: 'lost-answers',
        baseUrl: server.baseUrl,
        auth: { kind: 'bearer' },
        resourceTypes: identityUsers(),
        capabilities: coreCapabilities(),
        rateLimit: 100,
        concurrency: 2,
      },
      (id) => api.app.get(SecretBox).seal({ token: 'tok-lost' }, targetSecretsBinding(tenantId, id)),
    );
    const step = worker.get(PushStepService);
    const links = worker.get(TargetLinkRepository);
    const amy = (await scim('POST', '/Users', { schemas: [USER_SCHEMA], userName: 'amy' })).body;
    server.dropNext({ method: 'POST', path: /\/Users$/ });
    expect((await step.run(tenantId, target.id, String(amy.id))).kind).toBe('retry');
    const made = [...server.store.get('User')!.values()].find((u) => u.userName === 'amy')!;
    expect(made.externalId).toBe(amy.id); // carried out; the hub never saw the answer
    expect(await links.get(tenantId, target.id, String(amy.id))).toMatchObject({
      remoteId: null,
      attempts: 1,
    });

    // Amy leaves before the push is tried again: her account is found by the hub id and disabled.
    expect((await scim('DELETE', `/Users/${String(amy.id)}`)).status).toBe(204);
    expect((await step.run(tenantId, target.id, String(amy.id))).kind).toBe('done');
    expect(server.store.get('User')!.get(String(made.id))).toMatchObject({ userName: 'amy', active: false });
    expect(await links.get(tenantId, target.id, String(amy.id))).toMatchObject({
      remoteId: made.id,
      status: 'deprovisioned',
    });
  });
});
