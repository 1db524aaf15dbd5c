import type { SourceBatch } from './connector';
import { deletionRatio, FullPullTracker } from './full-pull-tracker';

const user = (sourceKey: string) => ({ resourceType: 'User', sourceKey, attributes: {} });

describe('FullPullTracker', () => {
  it('reports the known keys a completed full pull did not mention, per resource type', () => {
    const tracker = new FullPullTracker();
    tracker.observe({ mode: 'full', records: [user('a'), user('b')] });
    tracker.observe({ mode: 'full', records: [{ resourceType: 'Group', sourceKey: 'g1', attributes: {} }] });
    tracker.complete();
    expect([...tracker.unseen('User', ['a', 'b', 'c', 'g1'])]).toEqual(['c', 'g1']);
    expect([...tracker.unseen('Group', ['g1', 'g2'])]).toEqual(['g2']);
    expect(tracker.seenCount('User')).toBe(2);
  });

  it('refuses to infer deletions from an unfinished pull', () => {
    const tracker = new FullPullTracker();
    tracker.observe({ mode: 'full', records: [user('a')] });
    expect(() => [...tracker.unseen('User', ['a', 'b'])]).toThrow(/not completed/);
  });

  it('refuses delta batches, whose silence means nothing', () => {
    const batch: SourceBatch = { mode: 'delta', records: [user('a')] };
    expect(() => new FullPullTracker().observe(batch)).toThrow(/only applies to full pulls/);
  });

  it('computes the deletion ratio for the mass-deletion safeguard', () => {
    expect(deletionRatio(0, 0)).toBe(0);
    expect(deletionRatio(25, 100)).toBe(0.25);
  });
});
