import { hashJson } from '@hub/engine';
import { printValue, type JsonObject, type PatchOperation, type ResourceTypeSchemas } from '@hub/scim';
import { buildPatch } from '@hub/scim-client';
import type { DeprovisionPolicy } from './target-config';

/** What the link says the target holds. */
export interface LinkState {
  readonly remoteId: string | null;
  readonly pushedState: JsonObject | null;
  readonly pushedHash: string | null;
  readonly status: string;
  /**
   * A push failed before the target's id for the object was known: a create may have been carried
   * out with its answer lost (the connection dropped after the POST). Deprovisioning must look.
   */
  readonly uncertain?: boolean;
}

export type PushPlan =
  /** Nothing to send. */
  | { readonly kind: 'noop'; readonly reason: string }
  /** Look for the object first (`match`), adopt it when found, create it otherwise. */
  | { readonly kind: 'create'; readonly body: JsonObject; readonly match?: string }
  | {
      readonly kind: 'patch';
      readonly requests: readonly (readonly PatchOperation[])[];
      readonly body: JsonObject;
    }
  | { readonly kind: 'put'; readonly body: JsonObject }
  /** Deprovision by `active: false` (PATCH when supported, else PUT of the last pushed state). */
  | {
      readonly kind: 'disable';
      readonly requests?: readonly (readonly PatchOperation[])[];
      readonly body: JsonObject;
    }
  | { readonly kind: 'delete' }
  /** Policy `leave`: stop managing the object, send nothing. */
  | { readonly kind: 'forget'; readonly reason: string }
  /**
   * Deprovision an object the hub may have created without learning its id: look it up by the
   * hub's own id (`externalId`), and deprovision what is found as if it were linked.
   */
  | { readonly kind: 'reclaim'; readonly filter: string; readonly externalId: string };

export interface PlanInput {
  /** The representation the target should hold; null when it should not hold the record. */
  readonly desired: JsonObject | null;
  /** Why not, when `desired` is null. */
  readonly absentReason?: 'deleted' | 'out_of_scope';
  readonly link: LinkState | null;
  readonly schemas: ResourceTypeSchemas;
  readonly patchSupported: boolean;
  readonly deprovision: DeprovisionPolicy;
  /** The hub's id of the record (the `externalId` every create sets): how a lost create is found. */
  readonly resourceId?: string;
  /** Attribute matched before create, e.g. `userName`. */
  readonly matchAttribute: string;
  readonly filterSupported: boolean;
  readonly maxPatchOperations?: number;
}

export function representationHash(body: JsonObject): string {
  return hashJson(body);
}

/** The minimal request(s) that bring the target from what the link says to what it should hold. */
export function planPush(input: PlanInput): PushPlan {
  const { desired, link } = input;
  const remoteId = link?.remoteId ?? null;
  if (desired === null) {
    if (!remoteId) {
      // Only this hub's own objects: the lookup is by the externalId it sets on every create.
      if (link?.uncertain && input.filterSupported && input.resourceId && effectivePolicy(input) !== 'leave')
        return {
          kind: 'reclaim',
          filter: `externalId eq ${printValue(input.resourceId)}`,
          externalId: input.resourceId,
        };
      return { kind: 'noop', reason: 'not at the target and should not be' };
    }
    if (link?.status === 'deprovisioned' || link?.status === 'out_of_scope')
      return { kind: 'noop', reason: 'already deprovisioned' };
    const policy = effectivePolicy(input);
    if (policy === 'leave')
      return { kind: 'forget', reason: `${input.absentReason ?? 'out_of_scope'}: policy leaves the object` };
    if (policy === 'delete') return { kind: 'delete' };
    const before = link?.pushedState ?? {};
    if (before.active === false) return { kind: 'noop', reason: 'already disabled' };
    const after = { ...before, active: false };
    return input.patchSupported
      ? { kind: 'disable', requests: [[{ op: 'replace', path: 'active', value: false }]], body: after }
      : { kind: 'disable', body: after };
  }
  if (!remoteId) {
    const value = desired[input.matchAttribute] ?? matchValueCi(desired, input.matchAttribute);
    const match =
      input.filterSupported && (typeof value === 'string' || typeof value === 'number')
        ? `${input.matchAttribute} eq ${printValue(value)}`
        : undefined;
    return { kind: 'create', body: desired, ...(match ? { match } : {}) };
  }
  const hash = representationHash(desired);
  if (link?.pushedHash === hash && link.status !== 'deprovisioned' && link.status !== 'out_of_scope')
    return { kind: 'noop', reason: 'the target already holds this representation' };
  if (input.patchSupported && link?.pushedState) {
    const requests = buildPatch(stripSchemas(link.pushedState), stripSchemas(desired), input.schemas, {
      keyedByValue: [],
      ...(input.maxPatchOperations ? { maxOperations: input.maxPatchOperations } : {}),
    });
    if (!requests.length) return { kind: 'noop', reason: 'no attribute differs' };
    return { kind: 'patch', requests, body: desired };
  }
  return { kind: 'put', body: desired };
}

/** Groups cannot be disabled: their `disable` leaves them (no members are dropped either). */
function effectivePolicy(input: PlanInput): DeprovisionPolicy {
  if (input.deprovision === 'disable' && !input.schemas.findAttribute(input.schemas.core, 'active'))
    return 'leave';
  return input.deprovision;
}

/** Whether the plan takes access away (counted by the accidental-deletion threshold). */
export function isDeprovisioning(plan: PushPlan, link: LinkState | null): boolean {
  if (plan.kind === 'disable' || plan.kind === 'delete' || plan.kind === 'reclaim') return true;
  if ((plan.kind === 'patch' || plan.kind === 'put') && plan.body.active === false)
    return link?.pushedState?.active !== false;
  return false;
}

function stripSchemas(o: JsonObject): JsonObject {
  const { schemas: _s, ...rest } = o;
  return rest;
}

function matchValueCi(o: JsonObject, name: string): unknown {
  const lower = name.toLowerCase();
  for (const k of Object.keys(o)) if (k.toLowerCase() === lower) return o[k];
  return undefined;
}

/**
 * The configuration stamp a link records with what it holds (ADR 0702): only when the target now
 * holds exactly the representation this push built — sent by this push, or the same content
 * already there — never a state kept from before (an unchanged PATCH base, a deprovisioning).
 */
export function linkStamp(
  stamp: string | null,
  desired: JsonObject | null,
  pushedState: JsonObject | null,
  pushedHash: string | null,
): string | null {
  if (stamp === null || desired === null || pushedState === null || pushedHash === null) return null;
  return pushedState === desired || pushedHash === representationHash(desired) ? stamp : null;
}
