import { Coalescer } from './coalescer';

/** A batch function whose batches finish when the test says so. */
function controlled() {
  const batches: Array<{ items: number[]; finish: () => void; fail: (e: Error) => void }> = [];
  const run = (items: readonly number[]) =>
    new Promise<number[]>((resolve, reject) => {
      batches.push({ items: [...items], finish: () => resolve(items.map((i) => i * 10)), fail: reject });
    });
  return { batches, run };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('Coalescer', () => {
  it('runs a lone call at once, and calls made meanwhile together in the next batch', async () => {
    const { batches, run } = controlled();
    const c = new Coalescer(run, { maxBatch: 100 });
    const first = c.run(1);
    expect(batches.map((b) => b.items)).toEqual([[1]]);
    const later = [c.run(2), c.run(3), c.run(4)];
    expect(c.waiting).toBe(3);
    batches[0]!.finish();
    expect(await first).toBe(10);
    expect(batches.map((b) => b.items)).toEqual([[1], [2, 3, 4]]);
    batches[1]!.finish();
    expect(await Promise.all(later)).toEqual([20, 30, 40]);
  });

  it('splits at maxBatch and runs up to maxInFlight batches at once', async () => {
    const { batches, run } = controlled();
    const c = new Coalescer(run, { maxBatch: 2, maxInFlight: 2 });
    const all = [1, 2, 3, 4, 5].map((i) => c.run(i));
    // 1 and 2 started one each (nothing waited when they came); 3..5 wait for a free slot.
    expect(batches.map((b) => b.items)).toEqual([[1], [2]]);
    batches[0]!.finish();
    await tick();
    expect(batches.map((b) => b.items)).toEqual([[1], [2], [3, 4]]);
    batches[1]!.finish();
    await tick();
    expect(batches.map((b) => b.items)).toEqual([[1], [2], [3, 4], [5]]);
    batches[2]!.finish();
    batches[3]!.finish();
    expect(await Promise.all(all)).toEqual([10, 20, 30, 40, 50]);
  });

  it('fails every call of a failed batch, and goes on with the next', async () => {
    const { batches, run } = controlled();
    const c = new Coalescer(run, { maxBatch: 10 });
    const first = c.run(1);
    const second = [c.run(2), c.run(3)];
    batches[0]!.fail(new Error('connection lost'));
    await expect(first).rejects.toThrow('connection lost');
    await tick();
    batches[1]!.fail(new Error('deadlock'));
    await expect(second[0]).rejects.toThrow('deadlock');
    await expect(second[1]).rejects.toThrow('deadlock');
    const third = c.run(4);
    batches[2]!.finish();
    expect(await third).toBe(40);
  });

  it('fails a batch whose answer does not have one output per item, and one that throws', async () => {
    const short = new Coalescer(async (items: readonly number[]) => items.slice(1), { maxBatch: 10 });
    await expect(short.run(1)).rejects.toThrow('a batch of 1 answered 0');
    const throwing = new Coalescer<number, number>(
      () => {
        throw new Error('bad statement');
      },
      { maxBatch: 10 },
    );
    await expect(throwing.run(1)).rejects.toThrow('bad statement');
    expect(throwing.waiting).toBe(0);
  });
});
