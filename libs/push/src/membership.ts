import { printValue, type PatchOperation } from '@hub/scim';

export interface MembershipPlan {
  /** PATCH bodies' operation lists, each within the batch size. */
  readonly requests: ReadonlyArray<{
    readonly operations: readonly PatchOperation[];
    readonly added: readonly string[];
    readonly removed: readonly string[];
  }>;
}

/**
 * The membership PATCHes that turn the pushed members into the desired ones, both as hub ids
 * with their remote ids. Strict RFC 7644 §3.5.2.2: each removal is `members[value eq "…"]` (a bare
 * `members` path with a value list empties the group on some servers); additions go as
 * `add members` with up to `batchSize` values; a request carries at most `batchSize` member changes.
 */
export function planMembership(
  pushed: ReadonlyMap<string, string>,
  desired: ReadonlyMap<string, string>,
  batchSize: number,
): MembershipPlan {
  const size = Math.max(1, batchSize);
  // A member pushed under another remote id (re-created at the target) leaves and joins again.
  const removed = [...pushed].filter(([id, remote]) => desired.get(id) !== remote);
  const added = [...desired].filter(([id, remote]) => pushed.get(id) !== remote);
  const requests: Array<{ operations: PatchOperation[]; added: string[]; removed: string[] }> = [];
  for (let i = 0; i < removed.length; i += size) {
    const chunk = removed.slice(i, i + size);
    requests.push({
      operations: chunk.map(([, remote]) => ({
        op: 'remove',
        path: `members[value eq ${printValue(remote)}]`,
      })),
      added: [],
      removed: chunk.map(([id]) => id),
    });
  }
  for (let i = 0; i < added.length; i += size) {
    const chunk = added.slice(i, i + size);
    requests.push({
      operations: [{ op: 'add', path: 'members', value: chunk.map(([, remote]) => ({ value: remote })) }],
      added: chunk.map(([id]) => id),
      removed: [],
    });
  }
  return { requests };
}
