import type { AggregationService, AssertionContext } from '@hub/aggregation';
import { asTenantId, type EngineStore } from '@hub/persistence';
import { SyncWithdrawals, WITHDRAW_BATCH } from './sync-withdrawals.service';

const ctx: AssertionContext = {
  tenantId: asTenantId('00000000-0000-4000-8000-000000000001'),
  sourceId: '00000000-0000-4000-8000-000000000002',
  actor: { type: 'system', id: 'sync:test' },
  channel: 'sync',
};

/** Parked contributions (no golden record): withdrawing one marks it deleted. */
function fakes(options: { failTransactions?: number; badKey?: string } = {}) {
  const deleted: string[] = [];
  const transactions: number[] = [];
  let failures = options.failTransactions ?? 0;
  const store = {
    transaction: jest.fn(async (fn: (tx: unknown) => Promise<unknown>) => {
      const writes: string[] = [];
      const tx = { writes };
      const result = await fn(tx);
      if (failures > 0) {
        failures--;
        throw new Error('deadlock detected'); // rolled back: its writes are not kept
      }
      transactions.push(writes.length);
      deleted.push(...writes);
      return result;
    }),
    contributionByKey: jest.fn(async (_tx: unknown, _t: unknown, _s: unknown, type: string, key: string) => ({
      id: `c-${key}`,
      resourceType: type,
      sourceKey: key,
      externalId: null,
      resourceId: null,
      attributes: {},
      deletedAt: null,
    })),
    lockGolden: jest.fn(),
    saveContribution: jest.fn(async (tx: { writes: string[] }, _t: unknown, row: { sourceKey: string }) => {
      if (row.sourceKey === options.badKey) throw new Error('bad record');
      tx.writes.push(row.sourceKey);
    }),
  };
  const aggregation = { prepare: jest.fn(async () => ({})) };
  const service = new SyncWithdrawals(
    aggregation as unknown as AggregationService,
    store as unknown as EngineStore,
  );
  return { service, deleted, transactions };
}

const keys = (n: number) => Array.from({ length: n }, (_, i) => `k${String(i).padStart(4, '0')}`);

describe('SyncWithdrawals', () => {
  it(`withdraws up to ${WITHDRAW_BATCH} keys per transaction`, async () => {
    const { service, deleted, transactions } = fakes();
    expect(await service.withdraw(ctx, 'User', keys(WITHDRAW_BATCH + 10))).toBe(WITHDRAW_BATCH + 10);
    expect(transactions).toEqual([WITHDRAW_BATCH, 10]);
    expect(deleted).toEqual(keys(WITHDRAW_BATCH + 10));
  });

  it('replays a failed batch one transaction per key (a deadlock loses nothing)', async () => {
    const { service, deleted, transactions } = fakes({ failTransactions: 1 });
    expect(await service.withdraw(ctx, 'User', keys(5))).toBe(5);
    expect(transactions).toEqual([1, 1, 1, 1, 1]);
    expect(deleted).toEqual(keys(5));
  });

  it('a key that fails on its own still fails, after the keys before it are withdrawn', async () => {
    const { service, deleted } = fakes({ badKey: 'k0002' });
    await expect(service.withdraw(ctx, 'User', keys(5))).rejects.toThrow('bad record');
    expect(deleted).toEqual(['k0000', 'k0001']);
  });
});
