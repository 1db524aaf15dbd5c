import type { TenantId } from '../tenant-id';

/**
 * The seam between the inbound SCIM server and the aggregation engine (issue 3 / DESIGN.md §4).
 *
 * Every SCIM write is "source S asserts these attributes for resource R of type T". The HTTP
 * layer never writes golden records itself: it hands an assertion to an `InboundWriteGateway`
 * and answers with the golden record the gateway returns: the aggregation engine's
 * `EngineInboundWriter` (libs/aggregation, ADR 0203), bound in ScimPersistenceModule.
 */

/** A golden record as the calling source sees it. */
export interface GoldenRecord {
  id: string;
  resourceType: string;
  /** SCIM attributes without id, meta and externalId (those live in columns). */
  attributes: Record<string, unknown>;
  /** The calling source's own externalId (RFC 7643 §3.1: issued by the provisioning client). */
  externalId: string | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/** Who writes: the tenant, the source the write is attributed to, and the actor for the audit. */
export interface WriteContext {
  tenantId: TenantId;
  sourceId: string;
  actor: { type: 'api_client'; id: string };
  requestId?: string | null;
  /** Free-form label for the audit row, e.g. "scim" or "scim:/Me" or "scim:/Bulk". */
  channel: string;
}

/** What the source asserts about the resource after its change. */
export interface SourceView {
  attributes: Record<string, unknown>;
  externalId: string | null;
}

export interface CreateAssertion {
  resourceType: string;
  view: SourceView;
  /** Lower-cased unique key (userName for Users); a duplicate is a UniqueKeyTakenError. */
  nameKey: string | null;
}

export interface UpdateAssertion {
  resourceType: string;
  id: string;
  kind: 'replace' | 'patch';
  /**
   * Computes the source's new view from the current golden record, under a row lock so no other
   * write interleaves (PUT and PATCH are read-modify-write). May throw (412, 400...): nothing is
   * written then. Returns the new view and its unique key.
   */
  change(
    current: GoldenRecord,
    /** Given by gateways that can read on the write's connection; the pool is used otherwise. */
    reads?: ChangeReads,
  ): { view: SourceView; nameKey: string | null } | Promise<{ view: SourceView; nameKey: string | null }>;
  /** For the audit: what the client sent (PATCH operations), never secrets. */
  request?: unknown;
}

/**
 * Reads a change may need, on the write's own connection: asking the pool for a second one while
 * holding the row lock could wait forever once every pooled connection is such a writer.
 */
export interface ChangeReads {
  /** Resources of the tenant with these ids (member resolution), with their type and display name. */
  findMembers(ids: string[]): Promise<Array<{ id: string; resourceType: string; display: string | null }>>;
}

export interface DeleteAssertion {
  resourceType: string;
  id: string;
  /** Runs under the row lock before deleting (If-Match). */
  precondition?(current: GoldenRecord): void;
}

export interface InboundWriteGateway {
  create(ctx: WriteContext, assertion: CreateAssertion): Promise<GoldenRecord>;
  /** Returns null when the resource does not exist (for this tenant and type). */
  update(ctx: WriteContext, assertion: UpdateAssertion): Promise<GoldenRecord | null>;
  /** Returns false when the resource does not exist. */
  delete(ctx: WriteContext, assertion: DeleteAssertion): Promise<boolean>;
}

/** Nest injection token for the gateway. */
export const INBOUND_WRITE_GATEWAY = Symbol('INBOUND_WRITE_GATEWAY');

/** The unique key (userName, case-insensitively) is taken by another resource of the tenant. */
export class UniqueKeyTakenError extends Error {
  constructor(readonly resourceType: string) {
    super(`unique key already used by another ${resourceType}`);
    this.name = 'UniqueKeyTakenError';
  }
}
