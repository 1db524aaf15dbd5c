import { hashJson } from '../util/canonical-json';

/**
 * One source's current view of one resource (DESIGN §1): its attributes mapped to SCIM paths,
 * the source's own key and `externalId`, and when the source last asserted it. Plain data, as
 * loaded from the `contributions` table.
 */
export interface Contribution {
  readonly sourceId: string;
  /** The source's own key for the object (LDAP entryUUID, HR employee id, inbound SCIM id). */
  readonly sourceKey: string;
  readonly resourceType: string;
  /** Per source (RFC 7643 §3.1: issued by the provisioning client); never part of the golden record. */
  readonly externalId?: string | null;
  /** SCIM-shaped attributes (core at the top, extensions under their URN). */
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly assertedAt: Date;
  /** Set once the source stopped asserting the object; such a contribution takes no part in resolution. */
  readonly deletedAt?: Date | null;
  /** The golden record it is joined to; absent while uncorrelated. */
  readonly resourceId?: string | null;
  /** Content hash as stored (see contributionHash). */
  readonly hash?: string;
}

/** What a source says now, before it is stored. */
export type ContributionInput = Omit<Contribution, 'hash' | 'resourceId'>;

/**
 * Content hash: resource type, source key, externalId, attributes and whether it is deleted.
 * Not `assertedAt`: a source repeating itself has changed nothing. Key order does not matter.
 */
export function contributionHash(
  c: Pick<Contribution, 'resourceType' | 'sourceKey' | 'externalId' | 'attributes' | 'deletedAt'>,
): string {
  return hashJson({
    resourceType: c.resourceType,
    sourceKey: c.sourceKey,
    externalId: c.externalId ?? null,
    attributes: c.attributes,
    deleted: c.deletedAt !== undefined && c.deletedAt !== null,
  });
}

export type ContributionChange =
  | { readonly kind: 'new'; readonly hash: string }
  | { readonly kind: 'changed'; readonly hash: string }
  | { readonly kind: 'unchanged'; readonly hash: string };

/**
 * Upsert decision: an unchanged contribution (same hash) does no work downstream — no
 * resolution, no provenance change, no outbox row. Only `assertedAt` may be refreshed.
 */
export function classifyContribution(
  stored: Pick<Contribution, 'hash'> | undefined | null,
  incoming: Pick<Contribution, 'resourceType' | 'sourceKey' | 'externalId' | 'attributes' | 'deletedAt'>,
): ContributionChange {
  const hash = contributionHash(incoming);
  if (!stored) return { kind: 'new', hash };
  return stored.hash === hash ? { kind: 'unchanged', hash } : { kind: 'changed', hash };
}

/** True when storing `incoming` over `stored` needs downstream work. */
export function needsWork(
  stored: Pick<Contribution, 'hash'> | undefined | null,
  incoming: Pick<Contribution, 'resourceType' | 'sourceKey' | 'externalId' | 'attributes' | 'deletedAt'>,
): boolean {
  return classifyContribution(stored, incoming).kind !== 'unchanged';
}

/** Contributions that take part in resolution: not deleted. */
export function isLive(c: Pick<Contribution, 'deletedAt'>): boolean {
  return c.deletedAt === undefined || c.deletedAt === null;
}
