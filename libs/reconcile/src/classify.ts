import type { JsonObject, ResourceTypeSchemas } from '@hub/scim';
import { compareRepresentation, getCi, type AttributeDifference, type OwnedUnit } from './compare';
import type { TargetClass } from './policy';

/** The link of a remote object, as far as classification needs it. */
export interface LinkView {
  readonly resourceId: string;
  readonly status: string;
  readonly pushedState: JsonObject | null;
}

export interface Classified {
  readonly class: TargetClass;
  readonly differences?: readonly AttributeDifference[];
}

export interface LinkedInput {
  readonly remote: JsonObject;
  readonly link: LinkView;
  /** What the hub would push now; null when the target should not hold the record. */
  readonly desired: JsonObject | null;
  /** Deprovisioning policy of the type at the target (`disable`: the object stays, inactive). */
  readonly deprovision: 'disable' | 'delete' | 'leave';
  readonly schemas: ResourceTypeSchemas;
  readonly owned?: readonly OwnedUnit[];
}

/**
 * A remote object the hub linked: in sync when it holds what the hub would push (on the hub's
 * attributes, normalised); drifted otherwise, naming the attributes. A record the target should
 * not hold: `leave` never drifts, `disable` drifts while the object is active, `delete` while it
 * exists at all.
 */
export function classifyLinked(input: LinkedInput): Classified {
  const { remote, link, desired } = input;
  if (desired === null) {
    if (input.deprovision === 'leave' || link.status === 'out_of_scope') return { class: 'in_sync' };
    if (input.deprovision === 'delete')
      return { class: 'drifted', differences: [{ path: '(exists)', hub: false, remote: true }] };
    const active = getCi(remote, 'active');
    if (active === false) return { class: 'in_sync' };
    return { class: 'drifted', differences: [{ path: 'active', hub: false, remote: active ?? null }] };
  }
  const differences = compareRepresentation(desired, remote, input.schemas, {
    pushed: link.pushedState,
    ...(input.owned ? { owned: input.owned } : {}),
  });
  return differences.length ? { class: 'drifted', differences } : { class: 'in_sync' };
}

/**
 * A remote object no link names: it matches a golden record by the target's matching attribute
 * (and that record has no other object at the target) → adopt; otherwise it is an orphan.
 */
export function classifyUnlinked(match: { resourceId: string; linkedElsewhere: boolean } | null): Classified {
  if (match && !match.linkedElsewhere) return { class: 'unlinked_match' };
  return { class: 'orphan' };
}

/** The matching attribute's value on a remote object (`userName`, `displayName`, `externalId`). */
export function matchValue(remote: JsonObject, attribute: string): string | null {
  const v = getCi(remote, attribute);
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null;
}

/** The part of a remote object the hub manages (the base of the next minimal PATCH after adopting). */
export function managedPart(
  remote: JsonObject,
  desired: JsonObject | null,
  pushed: JsonObject | null,
): JsonObject {
  const out: JsonObject = {};
  const keys = new Set<string>();
  for (const o of [desired, pushed]) for (const k of Object.keys(o ?? {})) keys.add(k.toLowerCase());
  for (const [k, v] of Object.entries(remote)) {
    if (k === 'id' || k === 'meta' || k === 'schemas') continue;
    if (keys.has(k.toLowerCase()) && v !== undefined) out[k] = v;
  }
  return out;
}
