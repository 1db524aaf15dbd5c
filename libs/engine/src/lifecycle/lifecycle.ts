/**
 * Joiner / mover / leaver (DESIGN §4 "Lifecycle", RFC 7642 §2.4.3): when the lifecycle authority
 * deletes an identity the golden record is suspended (`active=false` pushed) and deleted after a
 * grace period; reappearing within the grace period reactivates it. A pure state machine: the
 * caller feeds it the lifecycle authority's events and a scheduled job's ticks.
 */
export type LifecycleState = 'active' | 'suspended' | 'deleted';

export interface LifecycleRecord {
  readonly state: LifecycleState;
  /** When the current state began. */
  readonly since: Date;
  /** Why a record is suspended: the authority deleted it, or only disabled it (`active=false`). */
  readonly reason?: 'deleted' | 'disabled';
  /** When a suspended record is due for deletion; null for a disabled record that is kept. */
  readonly deleteAfter?: Date | null;
}

export type LifecycleEvent =
  /** A source asserts the identity (created, updated, re-sent); `active` as the source says it. */
  | { readonly kind: 'asserted'; readonly sourceId: string; readonly active?: boolean }
  /** A source stopped asserting the identity (SCIM DELETE, gone from a directory). */
  | { readonly kind: 'removed'; readonly sourceId: string }
  /** The scheduled job looks at the record. */
  | { readonly kind: 'tick' };

export interface LifecyclePolicy {
  /** Sources whose assertions and removals decide the lifecycle (the tenant's lifecycle authority). */
  readonly authorities: readonly string[];
  /** Time between suspension and deletion; 0 deletes at once. */
  readonly graceMs: number;
  /** Whether a record only disabled by the authority is also deleted after the grace period (default: kept). */
  readonly deleteDisabled?: boolean;
}

export type LifecycleEffect = 'none' | 'suspend' | 'reactivate' | 'delete';

export interface LifecycleTransition {
  readonly record: LifecycleRecord;
  /** What downstream must do: push `active=false`, push `active=true`, delete at the targets. */
  readonly effect: LifecycleEffect;
  readonly changed: boolean;
  /** One sentence for the audit trail. */
  readonly why: string;
}

export function activeRecord(since: Date): LifecycleRecord {
  return { state: 'active', since };
}

export function nextLifecycle(
  current: LifecycleRecord,
  event: LifecycleEvent,
  now: Date,
  policy: LifecyclePolicy,
): LifecycleTransition {
  const same = (why: string): LifecycleTransition => ({
    record: current,
    effect: 'none',
    changed: false,
    why,
  });
  const due =
    current.deleteAfter !== undefined &&
    current.deleteAfter !== null &&
    now.getTime() >= current.deleteAfter.getTime();
  const deleted = (why: string): LifecycleTransition => ({
    record: { state: 'deleted', since: now },
    effect: 'delete',
    changed: true,
    why,
  });
  const suspend = (
    reason: 'deleted' | 'disabled',
    effect: LifecycleEffect,
    why: string,
  ): LifecycleTransition => {
    // A countdown already running is never postponed by a second reason.
    const running = current.state === 'suspended' ? (current.deleteAfter ?? null) : null;
    const countdown = running ?? new Date(now.getTime() + policy.graceMs);
    const deleteAfter = reason === 'deleted' || policy.deleteDisabled ? countdown : null;
    return {
      record: {
        state: 'suspended',
        since: current.state === 'suspended' ? current.since : now,
        reason,
        deleteAfter,
      },
      effect,
      changed: true,
      why,
    };
  };

  if (current.state === 'deleted')
    return same('deleted records stay deleted; a returning identity becomes a new record');
  if (event.kind === 'tick') {
    if (current.state === 'suspended' && due) return deleted('grace period over');
    return same('nothing due');
  }
  if (!policy.authorities.includes(event.sourceId))
    return same(`${event.sourceId} is not the lifecycle authority`);

  if (event.kind === 'removed') {
    if (current.state === 'active' && policy.graceMs <= 0)
      return deleted(`${event.sourceId} deleted the identity; no grace period`);
    if (current.state === 'suspended' && current.reason === 'deleted')
      return same('already suspended for deletion');
    return suspend(
      'deleted',
      current.state === 'active' ? 'suspend' : 'none',
      `${event.sourceId} deleted the identity`,
    );
  }

  // Asserted.
  const disabled = event.active === false;
  if (current.state === 'active') {
    return disabled
      ? suspend('disabled', 'suspend', `${event.sourceId} disabled the identity`)
      : same('active');
  }
  if (due) return deleted('reappeared after the grace period');
  if (disabled) {
    if (current.reason === 'disabled') return same('still disabled');
    return suspend('disabled', 'none', `${event.sourceId} asserts the identity again, disabled`);
  }
  return {
    record: { state: 'active', since: now },
    effect: 'reactivate',
    changed: true,
    why: `${event.sourceId} asserts the identity again within the grace period`,
  };
}
