/**
 * Pure decisions of a sync run (ADR 0503): the source settings a run reads, the mass-deletion
 * safeguard, which mode a scheduled run takes, and group members stated as source keys.
 */

/** Share of a resource type's live contributions one run may delete without an admin. */
export const DEFAULT_DELETION_THRESHOLD = 0.2;
/**
 * Below this many live contributions of a type the share is not judged (3 of 7 people leaving a
 * tiny test source is not an accident); an empty pull is still always held.
 */
export const DEFAULT_DELETION_MINIMUM = 10;
/** Scheduled runs are delta pulls, with a full pull (deletions) at least this often. */
export const DEFAULT_FULL_SYNC_INTERVAL_HOURS = 24;

/** A run whose source is unreachable tries again this many times within its job… */
export const DEFAULT_UNREACHABLE_RETRIES = 3;
/** …after this long, then three times as long each time (10 s, 30 s, 90 s). */
export const DEFAULT_RETRY_DELAY_MS = 10_000;

export interface SyncSettings {
  deletionThreshold: number;
  deletionMinimum: number;
  fullSyncIntervalMs: number;
  /** Attempts after the first when the source is unreachable (transient), and the first delay. */
  unreachableRetries: number;
  retryDelayMs: number;
}

/** Thrown for a source configuration whose sync settings are unusable (names the field). */
export class SyncSettingsError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field} ${message}`);
  }
}

/**
 * Sync settings from a source's configuration (beside its connector settings):
 * `deletionThreshold` (0 < x ≤ 1), `deletionMinimum` (integer ≥ 0), `fullSyncIntervalHours` (> 0).
 */
export function syncSettings(config: Readonly<Record<string, unknown>>): SyncSettings {
  const threshold = config['deletionThreshold'] ?? DEFAULT_DELETION_THRESHOLD;
  if (typeof threshold !== 'number' || !(threshold > 0 && threshold <= 1))
    throw new SyncSettingsError('config.deletionThreshold', 'must be a number above 0 and at most 1');
  const minimum = config['deletionMinimum'] ?? DEFAULT_DELETION_MINIMUM;
  if (typeof minimum !== 'number' || !Number.isInteger(minimum) || minimum < 0)
    throw new SyncSettingsError('config.deletionMinimum', 'must be a non-negative integer');
  const hours = config['fullSyncIntervalHours'] ?? DEFAULT_FULL_SYNC_INTERVAL_HOURS;
  if (typeof hours !== 'number' || !(hours > 0))
    throw new SyncSettingsError('config.fullSyncIntervalHours', 'must be a positive number');
  const retries = config['unreachableRetries'] ?? DEFAULT_UNREACHABLE_RETRIES;
  if (typeof retries !== 'number' || !Number.isInteger(retries) || retries < 0 || retries > 10)
    throw new SyncSettingsError('config.unreachableRetries', 'must be an integer from 0 to 10');
  const delay = config['retryDelayMs'] ?? DEFAULT_RETRY_DELAY_MS;
  if (typeof delay !== 'number' || !Number.isInteger(delay) || delay < 0 || delay > 600_000)
    throw new SyncSettingsError('config.retryDelayMs', 'must be an integer from 0 to 600000');
  return {
    deletionThreshold: threshold,
    deletionMinimum: minimum,
    fullSyncIntervalMs: hours * 3_600_000,
    unreachableRetries: retries,
    retryDelayMs: delay,
  };
}

/**
 * Whether a failed attempt is tried again within the job, and after how long: only a source
 * that did not answer (`unreachable`: refused, reset, timed out — a directory restarting, a
 * network blip), never a refusal or a configuration error, which would fail the same way again.
 */
export function retryDelay(
  error: unknown,
  attempt: number,
  settings: Pick<SyncSettings, 'unreachableRetries' | 'retryDelayMs'>,
): number | null {
  const e = error as { name?: string; kind?: string; retryable?: boolean };
  if (e?.name !== 'ConnectorError' || e.kind !== 'unreachable' || e.retryable === false) return null;
  if (attempt >= settings.unreachableRetries) return null;
  return settings.retryDelayMs * 3 ** attempt;
}

export interface TypeDeletions {
  /** Live contributions of the type before the deletions. */
  live: number;
  /** Deletions the run would apply. */
  deletions: number;
  /** Records of the type the pull saw (full pulls; undefined for deltas). */
  seen?: number;
}

export interface SafeguardDecision {
  hold: boolean;
  /** Largest per-type share (deletions / live). */
  share: number;
  /** Why the run is held, one line per resource type that tripped it. */
  reasons: string[];
}

/**
 * The mass-deletion safeguard: hold the run when, for any resource type, the deletions exceed
 * `threshold` of its live contributions (types with fewer than `minimum` live ones are not
 * judged by share), or a full pull saw nothing of a type the hub holds (a mistyped base DN, a
 * filter that matches nothing, an expired token answering an empty list).
 */
export function assessDeletions(
  byType: Readonly<Record<string, TypeDeletions>>,
  settings: Pick<SyncSettings, 'deletionThreshold' | 'deletionMinimum'>,
): SafeguardDecision {
  let share = 0;
  const reasons: string[] = [];
  for (const [type, d] of Object.entries(byType)) {
    if (d.deletions <= 0) continue;
    const s = d.live === 0 ? 1 : d.deletions / d.live;
    share = Math.max(share, s);
    if (d.seen === 0) reasons.push(`${type}: the pull found none of the ${d.live} the hub holds`);
    else if (d.live >= settings.deletionMinimum && s > settings.deletionThreshold)
      reasons.push(
        `${type}: ${d.deletions} of ${d.live} (${(s * 100).toFixed(1)} %) exceeds ${(settings.deletionThreshold * 100).toFixed(1)} %`,
      );
  }
  return { hold: reasons.length > 0, share, reasons };
}

/** Mode of a scheduled run: delta when there is a cursor and a full pull completed recently enough. */
export function scheduledMode(
  hasCursor: boolean,
  lastFullDoneAt: Date | null,
  now: Date,
  fullSyncIntervalMs: number,
): 'full' | 'delta' {
  if (!hasCursor || !lastFullDoneAt) return 'full';
  return now.getTime() - lastFullDoneAt.getTime() >= fullSyncIntervalMs ? 'full' : 'delta';
}

/** A group's members as the hub stores them (golden ids), and the source keys not known yet. */
export function resolveMembers(
  memberKeys: readonly string[],
  known: ReadonlyMap<string, { resourceId: string; resourceType: string }>,
): { members: Array<{ value: string; type: string }>; unresolved: string[] } {
  const members: Array<{ value: string; type: string }> = [];
  const unresolved: string[] = [];
  const seen = new Set<string>();
  for (const key of memberKeys) {
    const hit = known.get(key);
    if (!hit) {
      unresolved.push(key);
      continue;
    }
    if (seen.has(hit.resourceId)) continue;
    seen.add(hit.resourceId);
    members.push({ value: hit.resourceId, type: hit.resourceType });
  }
  // Stable order, so an unchanged membership hashes the same run after run.
  members.sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  return { members, unresolved };
}

/** A connector error (or any error) as the run's `error`: `<kind>: <message>`, bounded. */
export function runError(error: unknown): string {
  const e = error as { name?: string; kind?: string; message?: string };
  const kind = e?.name === 'ConnectorError' && e.kind ? e.kind : 'internal';
  return `${kind}: ${String(e?.message ?? error)}`.slice(0, 2000);
}
