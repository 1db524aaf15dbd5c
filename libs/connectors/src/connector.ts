import type { JsonObject } from '@hub/scim';

/** `User`, `Group`, or any resource type the tenant's schema registry knows. */
export type ResourceTypeName = 'User' | 'Group' | (string & {});

/**
 * One source's current view of one resource, already mapped to SCIM: `attributes` is a SCIM
 * resource body (core attributes by name, extensions under their URN key, typed multi-valued
 * elements such as `emails[type eq "work"]` as elements with that `type`), without `id`/`meta`.
 * It is the whole view, never a diff: a record replaces what the source said before.
 */
export interface SourceRecord {
  readonly resourceType: ResourceTypeName;
  /** Stable key of the object in the source (entryUUID, DN, an HR employee id, a SCIM id). */
  readonly sourceKey: string;
  /** The source's own external id, when it has one distinct from the key. */
  readonly externalId?: string;
  readonly attributes: JsonObject;
  /** Groups only: source keys of the members (users or nested groups), as the source states them. */
  readonly members?: readonly string[];
  /** The source object before mapping, only when the connector was asked to keep it (debugging). */
  readonly raw?: unknown;
}

/**
 * Where a delta pull resumes. Opaque to callers: store it as JSON and hand it back unchanged.
 * `kind` lets a connector refuse a cursor written by another kind of source or configuration.
 */
export interface SourceCursor {
  readonly kind: string;
  readonly [key: string]: string | number | boolean | null;
}

/** A bounded slice of a pull. Consume one batch before asking for the next (backpressure). */
export interface SourceBatch {
  /**
   * `full`: the pull covers everything in scope, so whatever it does not mention is gone
   * (see `FullPullTracker`). `delta`: only changes; silence means nothing.
   */
  readonly mode: 'full' | 'delta';
  readonly records: readonly SourceRecord[];
  /** Source keys the source itself reports as deleted (a delta mechanism that has tombstones). */
  readonly deletions?: readonly string[];
  /**
   * Set only where resuming from it loses nothing: everything up to and including this batch is
   * covered. The last batch of every pull carries the cursor for the next delta pull.
   */
  readonly cursor?: SourceCursor;
}

export interface ConnectionCheck {
  /** What was checked, safe to show an admin (e.g. "bound as cn=reader… to ldaps://dir:636"). */
  readonly detail: string;
}

/**
 * A source the hub pulls from. Pulls are async iterables of bounded batches, so a directory of
 * any size streams through with memory proportional to one batch. Every failure is a
 * `ConnectorError`.
 */
export interface SourceConnector {
  /** Connects, authenticates and reads a little; throws `ConnectorError` with what is wrong. */
  testConnection(): Promise<ConnectionCheck>;
  /**
   * Everything in scope. Deletions are found by the caller comparing the keys seen with the keys
   * it holds (`FullPullTracker`); the last batch carries the cursor for the next delta.
   */
  fullPull(): AsyncIterable<SourceBatch>;
  /**
   * What changed since `cursor`. A connector whose source cannot do deltas, or that does not
   * recognise the cursor, runs a full pull instead and says so with `mode: 'full'` on its batches.
   */
  deltaPull(cursor: SourceCursor): AsyncIterable<SourceBatch>;
  /** Releases pooled connections. */
  close(): Promise<void>;
}

/** Reads a whole pull into memory: for tests and small sources only. */
export async function collectPull(pull: AsyncIterable<SourceBatch>): Promise<{
  records: SourceRecord[];
  deletions: string[];
  cursor: SourceCursor | undefined;
  batches: number;
  mode: SourceBatch['mode'] | undefined;
}> {
  const records: SourceRecord[] = [];
  const deletions: string[] = [];
  let cursor: SourceCursor | undefined;
  let batches = 0;
  let mode: SourceBatch['mode'] | undefined;
  for await (const batch of pull) {
    batches += 1;
    mode = batch.mode;
    records.push(...batch.records);
    if (batch.deletions) deletions.push(...batch.deletions);
    if (batch.cursor) cursor = batch.cursor;
  }
  return { records, deletions, cursor, batches, mode };
}
