/** The classes of a target reconciliation (ADR 0702). */
export const TARGET_CLASSES = ['in_sync', 'drifted', 'missing', 'unlinked_match', 'orphan'] as const;
export type TargetClass = (typeof TARGET_CLASSES)[number];

/** The classes of an upstream source's check: the hub's stored contribution against the source now. */
export const SOURCE_CLASSES = ['in_sync', 'stale', 'not_at_hub', 'gone_at_source'] as const;
export type SourceClass = (typeof SOURCE_CLASSES)[number];

export type ReconcileClass = TargetClass | SourceClass;

/** What a run does per class (per target and resource type). */
export interface ReconcilePolicy {
  /** `remediate`: the push pipeline brings the object back to the hub's view. */
  readonly drifted: 'remediate' | 'report';
  /** `remediate`: the link is reset and the push pipeline creates the object again. */
  readonly missing: 'remediate' | 'report';
  /** `adopt`: the link is created and the push pipeline PATCHes the differences. */
  readonly unlinked_match: 'adopt' | 'report';
  /** Objects at the target the hub has no record for. */
  readonly orphan: 'report' | 'disable' | 'delete';
}

export const DEFAULT_POLICY: ReconcilePolicy = {
  drifted: 'remediate',
  missing: 'remediate',
  unlinked_match: 'adopt',
  orphan: 'report',
};

const ALLOWED: { readonly [K in keyof ReconcilePolicy]: readonly ReconcilePolicy[K][] } = {
  drifted: ['remediate', 'report'],
  missing: ['remediate', 'report'],
  unlinked_match: ['adopt', 'report'],
  orphan: ['report', 'disable', 'delete'],
};

/** What a class leads to under a policy. */
export type ReconcileAction = 'push' | 'recreate' | 'adopt' | 'disable' | 'delete' | 'none';

export function actionFor(cls: TargetClass, policy: ReconcilePolicy): ReconcileAction {
  switch (cls) {
    case 'drifted':
      return policy.drifted === 'remediate' ? 'push' : 'none';
    case 'missing':
      return policy.missing === 'remediate' ? 'recreate' : 'none';
    case 'unlinked_match':
      return policy.unlinked_match === 'adopt' ? 'adopt' : 'none';
    case 'orphan':
      return policy.orphan === 'report' ? 'none' : policy.orphan;
    default:
      return 'none';
  }
}

/** Reconciliation settings of one resource type at one target (`resourceTypes.<Type>.reconcile`). */
export interface ReconcileSettings {
  /** Cron pattern (BullMQ job scheduler); none: on demand only. */
  readonly schedule?: string;
  /** Mode of scheduled runs: `delta` reads only what changed since the last completed run. */
  readonly mode: 'full' | 'delta';
  readonly policy: ReconcilePolicy;
}

export class ReconcileSettingsError extends Error {
  constructor(readonly issues: readonly string[]) {
    super(issues.join('; '));
  }
}

/**
 * Validates stored or submitted settings; unknown keys are refused, missing ones take the
 * defaults. `validCron` is injected (the cron parser lives with the scheduler).
 */
export function parseSettings(
  raw: unknown,
  validCron: (pattern: string) => boolean = () => true,
): ReconcileSettings {
  const issues: string[] = [];
  const o = raw === undefined || raw === null ? {} : raw;
  if (typeof o !== 'object' || Array.isArray(o)) throw new ReconcileSettingsError(['must be an object']);
  const r = o as Record<string, unknown>;
  for (const k of Object.keys(r))
    if (!['schedule', 'mode', 'policy'].includes(k)) issues.push(`unknown setting "${k}"`);
  let schedule: string | undefined;
  if (r.schedule !== undefined && r.schedule !== null) {
    if (typeof r.schedule !== 'string' || !validCron(r.schedule))
      issues.push('schedule must be a cron pattern such as "0 3 * * *"');
    else schedule = r.schedule;
  }
  const mode = r.mode ?? 'full';
  if (mode !== 'full' && mode !== 'delta') issues.push('mode must be full or delta');
  const policy: Record<string, string> = { ...DEFAULT_POLICY };
  if (r.policy !== undefined) {
    if (typeof r.policy !== 'object' || r.policy === null || Array.isArray(r.policy))
      issues.push('policy must be an object');
    else
      for (const [k, v] of Object.entries(r.policy)) {
        const allowed = ALLOWED[k as keyof ReconcilePolicy] as readonly string[] | undefined;
        if (!allowed)
          issues.push(`policy: unknown class "${k}" (classes: ${Object.keys(ALLOWED).join(', ')})`);
        else if (!allowed.includes(v as string))
          issues.push(`policy.${k} must be one of ${allowed.join(', ')}`);
        else policy[k] = v as string;
      }
  }
  if (issues.length) throw new ReconcileSettingsError(issues);
  return {
    ...(schedule ? { schedule } : {}),
    mode: mode as 'full' | 'delta',
    policy: policy as unknown as ReconcilePolicy,
  };
}
