import type { ResourceTypeName, SourceBatch } from './connector';

/**
 * Deletion detection for full pulls: remembers which source keys a full pull mentioned, per
 * resource type, and tells which previously known keys it did not. Holds keys only (tens of
 * bytes each), never records. Feed it every batch; ask only after the pull finished without error
 * — an interrupted pull has not "not seen" anything.
 */
export class FullPullTracker {
  private readonly seen = new Map<string, Set<string>>();
  private completed = false;

  observe(batch: SourceBatch): void {
    if (batch.mode !== 'full') throw new Error('FullPullTracker only applies to full pulls');
    for (const record of batch.records) this.keysOf(record.resourceType).add(record.sourceKey);
    // A source that reports deletions itself in a full pull (rare) wins over "not seen".
    for (const key of batch.deletions ?? []) for (const set of this.seen.values()) set.delete(key);
  }

  /** Marks the pull as finished; until then `unseen` refuses to answer. */
  complete(): void {
    this.completed = true;
  }

  seenCount(resourceType: ResourceTypeName): number {
    return this.seen.get(resourceType)?.size ?? 0;
  }

  hasSeen(resourceType: ResourceTypeName, sourceKey: string): boolean {
    return this.seen.get(resourceType)?.has(sourceKey) ?? false;
  }

  /** Keys from `known` (what the hub holds for this source) that the pull did not mention. */
  *unseen(resourceType: ResourceTypeName, known: Iterable<string>): Generator<string> {
    if (!this.completed) throw new Error('The full pull has not completed; deletions cannot be inferred');
    const set = this.seen.get(resourceType);
    for (const key of known) if (!set?.has(key)) yield key;
  }

  private keysOf(resourceType: ResourceTypeName): Set<string> {
    let set = this.seen.get(resourceType);
    if (!set) this.seen.set(resourceType, (set = new Set()));
    return set;
  }
}

/**
 * Share of the known objects a full pull would delete, for the mass-deletion safeguard
 * (a later step applies the threshold, 20 % by default).
 */
export function deletionRatio(unseenCount: number, knownCount: number): number {
  return knownCount === 0 ? 0 : unseenCount / knownCount;
}
