import { RemediationBatch } from './remediation-batch';

/** A send that records its batches and finishes when the test says so. */
function recorder() {
  const batches: number[][] = [];
  const finish: Array<() => void> = [];
  const send = (items: number[]) =>
    new Promise<void>((resolve) => {
      batches.push(items);
      finish.push(resolve);
    });
  return { batches, finish, send };
}

const settled = async (p: Promise<void>) => {
  let done = false;
  void p.then(() => (done = true));
  await new Promise((r) => setImmediate(r));
  return done;
};

describe('RemediationBatch', () => {
  it('sends pages together once the batch is full, and resolves each page when its batch is sent', async () => {
    const r = recorder();
    const batch = new RemediationBatch<number>(r.send, 5, 60_000, () => 0);
    const first = batch.add([1, 2]);
    const second = batch.add([3]);
    expect(r.batches).toEqual([]);
    expect(batch.pending).toBe(3);
    const third = batch.add([4, 5, 6]); // 6 ≥ 5: the batch goes, the page is not split
    expect(r.batches).toEqual([[1, 2, 3, 4, 5, 6]]);
    expect(batch.pending).toBe(0);
    expect(await settled(first)).toBe(false); // sent, not yet answered
    r.finish[0]!();
    await Promise.all([first, second, third]);
    const later = batch.add([7]);
    expect(await settled(later)).toBe(false); // the next batch waits for more
    const flushed = batch.flush();
    expect(r.batches).toEqual([[1, 2, 3, 4, 5, 6], [7]]);
    r.finish[1]!();
    await Promise.all([flushed, later]);
  });

  it('sends a batch whose oldest item has waited long enough, checked even on an empty page', async () => {
    let now = 0;
    const r = recorder();
    const batch = new RemediationBatch<number>(r.send, 100, 1_000, () => now);
    void batch.add([1]);
    now = 999;
    void batch.add([]);
    expect(r.batches).toEqual([]);
    now = 1_000;
    void batch.add([]);
    expect(r.batches).toEqual([[1]]);
    now = 1_500;
    void batch.add([2]); // a new batch: its own age counts from now
    now = 2_000;
    void batch.add([3]);
    expect(r.batches).toEqual([[1]]);
  });

  it('flush waits for batches already on their way, and a failed send still releases its pages', async () => {
    const batch = new RemediationBatch<number>(() => Promise.reject(new Error('redis down')), 2, 60_000);
    const page = batch.add([1, 2]);
    await expect(page).resolves.toBeUndefined();
    await expect(batch.flush()).resolves.toBeUndefined();

    const r = recorder();
    const slow = new RemediationBatch<number>(r.send, 2, 60_000);
    void slow.add([1, 2]);
    const flushed = slow.flush();
    expect(await settled(flushed)).toBe(false);
    r.finish[0]!();
    await flushed;
  });
});
