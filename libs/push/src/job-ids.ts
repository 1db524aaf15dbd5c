/**
 * The job id of a push: one waiting job per (target, resource), so a burst of changes coalesces.
 * `followUp` is the id a running push uses to schedule its own next run (a delay, a retry):
 * BullMQ ignores an add whose id is the running job's. (BullMQ allows `:` only in three-part ids.)
 */
export function pushJobId(targetId: string, resourceId: string, followUp = false): string {
  return `${followUp ? 'pushnext' : 'push'}:${targetId}:${resourceId}`;
}
