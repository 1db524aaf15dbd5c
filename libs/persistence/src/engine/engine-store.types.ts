/** Plain data the aggregation layer reads and writes through EngineStore (no Prisma types). */

export type GoldenLifecycleState = 'active' | 'suspended' | 'deleted';

export interface StoredGolden {
  id: string;
  resourceType: string;
  /** As stored; a group's `members` composed from `group_members`. */
  attributes: Record<string, unknown>;
  version: number;
  lifecycleState: GoldenLifecycleState;
  suspendedAt: Date | null;
  deleteAfter: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface StoredContribution {
  id: string;
  sourceId: string;
  sourceKey: string;
  resourceType: string;
  externalId: string | null;
  resourceId: string | null;
  attributes: Record<string, unknown>;
  hash: string;
  assertedAt: Date;
  deletedAt: Date | null;
}

export interface ContributionWrite {
  sourceId: string;
  resourceType: string;
  sourceKey: string;
  externalId: string | null;
  resourceId: string | null;
  attributes: Record<string, unknown>;
  hash: string;
  assertedAt: Date;
  deleted: boolean;
}

export interface GoldenWrite {
  attributes: Record<string, unknown>;
  nameKey: string | null;
  lifecycleState: GoldenLifecycleState;
  suspendedAt: Date | null;
  deleteAfter: Date | null;
}

/** A provenance entry as stored (dates as ISO strings inside JSONB). */
export type StoredProvenance = Record<string, unknown>[];

export type OutboxKind = 'created' | 'updated' | 'deleted';

/** A golden record under its row lock, with everything a resolution needs (one round trip). */
export interface LockedGolden extends StoredGolden {
  nameKey: string | null;
  /** Every contribution joined to it, deleted ones included. */
  contributions: StoredContribution[];
  provenance: StoredProvenance | null;
  /** Revision of the tenant's engine configuration for the type (0 = defaults). */
  ruleRevision: number;
}
