import { ProgressBuffer, mergeDeltas } from './progress-buffer';
import type { ReportDelta } from './report';

const delta = (pages: number, inSync: number, ok = 0): ReportDelta => ({
  pages,
  counts: { in_sync: inSync },
  actions: ok ? { push: { ok, failed: 0, skipped: 0, planned: 0 } } : {},
  samples: [],
});

describe('ProgressBuffer', () => {
  it('writes the first page at once, then at most once per interval, and everything on flush', async () => {
    let now = 0;
    const written: ReportDelta[] = [];
    const buffer = new ProgressBuffer(
      async (d) => void written.push(d),
      1_000,
      () => now,
    );
    await buffer.add(delta(1, 500));
    expect(written).toHaveLength(1);
    for (let i = 0; i < 9; i++) {
      now += 100;
      await buffer.add(delta(1, 500, 1));
    }
    expect(written).toHaveLength(1); // 900 ms after the first write
    now += 100;
    await buffer.add(delta(1, 500));
    expect(written).toHaveLength(2);
    expect(written[1]).toEqual({
      pages: 10,
      counts: { in_sync: 5_000 },
      actions: { push: { ok: 9, failed: 0, skipped: 0, planned: 0 } },
      samples: [],
    });
    await buffer.add(delta(1, 7));
    await buffer.flush();
    await buffer.flush(); // nothing pending: no empty write
    expect(written).toHaveLength(3);
    const total = written.reduce(mergeDeltas);
    expect(total.pages).toBe(12);
    expect(total.counts.in_sync).toBe(5_507);
  });

  it('keeps a delta whose write failed and writes it with the next one', async () => {
    const written: ReportDelta[] = [];
    let fail = true;
    const buffer = new ProgressBuffer(async (d) => {
      if (fail) throw new Error('database gone');
      written.push(d);
    }, 0);
    await expect(buffer.add(delta(1, 3))).rejects.toThrow('database gone');
    fail = false;
    await buffer.add(delta(1, 4));
    expect(written).toEqual([{ pages: 2, counts: { in_sync: 7 }, actions: {}, samples: [] }]);
  });
});
