import { Injectable } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { auditHash, canonicalJson, type AuditEntry } from '../audit-hash';
import { PrismaService, type RawTx } from '../prisma.service';
import type { TenantId } from '../tenant-id';
import {
  UniqueKeyTakenError,
  type CreateAssertion,
  type DeleteAssertion,
  type GoldenRecord,
  type InboundWriteGateway,
  type SourceView,
  type UpdateAssertion,
  type WriteContext,
} from './inbound-write.types';
import { membersSql } from './members-sql';
import { findMembersWith, isUuid } from './scim-resource.repository';

/** Audit detail values larger than this are summarised (a 10 000-member group stays readable). */
const MAX_AUDIT_VALUE_CHARS = 2_000;

interface LockedRow {
  id: string;
  resource_type: string;
  attributes: Record<string, unknown>;
  version: number;
  created_at: Date;
  updated_at: Date;
  external_id: string | null;
  members: unknown[] | null;
}

/**
 * The gateway until the aggregation engine exists: the golden record is the calling source's
 * view. Each write is one transaction: contribution (source_key = hub id, the client's
 * externalId), golden record (version + 1), one outbox row per committed version, audit row.
 */
@Injectable()
export class PassThroughInboundWriter implements InboundWriteGateway {
  constructor(private readonly prisma: PrismaService) {}

  async create(ctx: WriteContext, assertion: CreateAssertion): Promise<GoldenRecord> {
    const id = randomUUID();
    return this.transaction(async (tx) => {
      const inserted = await tx.query<{ created_at: Date; updated_at: Date }>(
        `INSERT INTO resources (id, tenant_id, resource_type, attributes, version, name_key, created_at, updated_at)
         VALUES ($1::uuid, $2::uuid, $3, $4::jsonb, 1, $5, now(), now())
         ON CONFLICT (tenant_id, resource_type, name_key) DO NOTHING
         RETURNING created_at, updated_at`,
        [id, ctx.tenantId, assertion.resourceType, storedJson(assertion.view.attributes), assertion.nameKey],
      );
      if (inserted.length === 0) throw new UniqueKeyTakenError(assertion.resourceType);
      await this.syncMembers(tx, ctx.tenantId, id, undefined, assertion.view.attributes.members);
      await this.saveContribution(tx, ctx, assertion.resourceType, id, assertion.view);
      await this.outbox(tx, ctx.tenantId, assertion.resourceType, id, 1, 'created');
      await appendAudit(tx, ctx.tenantId, {
        actorType: ctx.actor.type,
        actorId: ctx.actor.id,
        sourceId: ctx.sourceId,
        action: `scim.${assertion.resourceType}.created`,
        resourceType: assertion.resourceType,
        resourceId: id,
        requestId: ctx.requestId ?? null,
        detail: {
          channel: ctx.channel,
          version: 1,
          changed: summarise(diff({}, assertion.view.attributes)),
          ...(assertion.view.externalId !== null ? { externalId: assertion.view.externalId } : {}),
        },
      });
      return {
        id,
        resourceType: assertion.resourceType,
        attributes: assertion.view.attributes,
        externalId: assertion.view.externalId,
        version: 1,
        createdAt: inserted[0]!.created_at,
        updatedAt: inserted[0]!.updated_at,
      };
    });
  }

  async update(ctx: WriteContext, assertion: UpdateAssertion): Promise<GoldenRecord | null> {
    if (!isUuid(assertion.id)) return null;
    return this.transaction(async (tx) => {
      const current = await this.lock(tx, ctx, assertion.resourceType, assertion.id);
      if (!current) return null;
      const { view, nameKey } = await assertion.change(current, {
        findMembers: (ids) => findMembersWith((text, values) => tx.query(text, values), ctx.tenantId, ids),
      });
      const changed = diff(current.attributes, view.attributes);
      const externalIdChanged = view.externalId !== current.externalId;
      // An identical assertion is not a new version: nothing to push, nothing to audit.
      if (Object.keys(changed).length === 0 && !externalIdChanged) return current;
      if (Object.keys(changed).length > 0) {
        if (nameKey !== null) {
          const taken = await tx.query<unknown>(
            `SELECT 1 FROM resources WHERE tenant_id = $1::uuid AND resource_type = $2 AND name_key = $3 AND id <> $4::uuid`,
            [ctx.tenantId, assertion.resourceType, nameKey, assertion.id],
          );
          if (taken.length > 0) throw new UniqueKeyTakenError(assertion.resourceType);
        }
        const updated = await tx.query<{ version: number; updated_at: Date }>(
          `UPDATE resources SET attributes = $1::jsonb, name_key = $2, version = version + 1, updated_at = now()
           WHERE id = $3::uuid RETURNING version, updated_at`,
          [storedJson(view.attributes), nameKey, assertion.id],
        );
        if ('members' in changed)
          await this.syncMembers(
            tx,
            ctx.tenantId,
            assertion.id,
            current.attributes.members,
            view.attributes.members,
          );
        current.version = updated[0]!.version;
        current.updatedAt = updated[0]!.updated_at;
        await this.outbox(tx, ctx.tenantId, assertion.resourceType, assertion.id, current.version, 'updated');
      }
      await this.saveContribution(tx, ctx, assertion.resourceType, assertion.id, view);
      await appendAudit(tx, ctx.tenantId, {
        actorType: ctx.actor.type,
        actorId: ctx.actor.id,
        sourceId: ctx.sourceId,
        action: `scim.${assertion.resourceType}.${assertion.kind === 'patch' ? 'patched' : 'replaced'}`,
        resourceType: assertion.resourceType,
        resourceId: assertion.id,
        requestId: ctx.requestId ?? null,
        detail: {
          channel: ctx.channel,
          version: current.version,
          changed: summarise(changed),
          ...(externalIdChanged ? { externalId: { from: current.externalId, to: view.externalId } } : {}),
          ...(assertion.request !== undefined ? { request: summariseValue(assertion.request) } : {}),
        },
      });
      return { ...current, attributes: view.attributes, externalId: view.externalId };
    });
  }

  async delete(ctx: WriteContext, assertion: DeleteAssertion): Promise<boolean> {
    if (!isUuid(assertion.id)) return false;
    return this.transaction(async (tx) => {
      const current = await this.lock(tx, ctx, assertion.resourceType, assertion.id);
      if (!current) return false;
      assertion.precondition?.(current);
      await this.removeFromGroups(tx, ctx, assertion.id);
      await tx.query(
        `UPDATE contributions SET deleted_at = now(), updated_at = now()
         WHERE source_id = $1::uuid AND resource_id = $2::uuid AND deleted_at IS NULL`,
        [ctx.sourceId, assertion.id],
      );
      await tx.query(`DELETE FROM resources WHERE id = $1::uuid`, [assertion.id]);
      await this.outbox(
        tx,
        ctx.tenantId,
        assertion.resourceType,
        assertion.id,
        current.version + 1,
        'deleted',
      );
      await appendAudit(tx, ctx.tenantId, {
        actorType: ctx.actor.type,
        actorId: ctx.actor.id,
        sourceId: ctx.sourceId,
        action: `scim.${assertion.resourceType}.deleted`,
        resourceType: assertion.resourceType,
        resourceId: assertion.id,
        requestId: ctx.requestId ?? null,
        detail: { channel: ctx.channel, version: current.version + 1 },
      });
      return true;
    });
  }

  /** Removing a resource removes its memberships: each group changed is a new version. */
  private async removeFromGroups(tx: RawTx, ctx: WriteContext, memberId: string): Promise<void> {
    // Lock the groups first (in id order, as a PATCH of the group would), then drop the rows.
    const locked = await tx.query<{ id: string }>(
      `SELECT g.id FROM resources g
       WHERE g.id IN (SELECT gm.group_id FROM group_members gm WHERE gm.tenant_id = $1::uuid AND gm.member_id = $2::uuid)
       ORDER BY g.id FOR UPDATE`,
      [ctx.tenantId, memberId],
    );
    if (locked.length === 0) return;
    await tx.query(`DELETE FROM group_members WHERE tenant_id = $1::uuid AND member_id = $2::uuid`, [
      ctx.tenantId,
      memberId,
    ]);
    const groups = await tx.query<{ id: string; version: number }>(
      `UPDATE resources SET version = version + 1, updated_at = now() WHERE id = ANY($1::uuid[]) RETURNING id, version`,
      [locked.map((g) => g.id)],
    );
    for (const g of groups) {
      await this.outbox(tx, ctx.tenantId, 'Group', g.id, g.version, 'updated');
      await appendAudit(tx, ctx.tenantId, {
        actorType: ctx.actor.type,
        actorId: ctx.actor.id,
        sourceId: ctx.sourceId,
        action: 'scim.Group.member_removed',
        resourceType: 'Group',
        resourceId: g.id,
        requestId: ctx.requestId ?? null,
        detail: { channel: ctx.channel, version: g.version, reason: 'member deleted', member: memberId },
      });
    }
  }

  private async lock(
    tx: RawTx,
    ctx: WriteContext,
    resourceType: string,
    id: string,
  ): Promise<GoldenRecord | null> {
    const rows = await tx.query<LockedRow>(
      `SELECT r.id, r.resource_type, r.attributes, r.version, r.created_at, r.updated_at,
              (SELECT c.external_id FROM contributions c WHERE c.source_id = $4::uuid AND c.resource_id = r.id
                 AND c.deleted_at IS NULL LIMIT 1) AS external_id, ${membersSql('r')} AS members
       FROM resources r WHERE r.tenant_id = $1::uuid AND r.resource_type = $2 AND r.id = $3::uuid
       FOR UPDATE OF r`,
      [ctx.tenantId, resourceType, id, ctx.sourceId],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      id: row.id,
      resourceType: row.resource_type,
      attributes: row.members ? { ...row.attributes, members: row.members } : row.attributes,
      externalId: row.external_id,
      version: row.version,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  /**
   * Keeps `group_members` equal to the asserted `members` (ADR 0303): rows of removed members go,
   * new ones are appended in the asserted order, kept ones change only when their type or display
   * did. A group of 50 000 members gains or loses a batch without rewriting the others.
   */
  private async syncMembers(
    tx: RawTx,
    tenantId: TenantId,
    groupId: string,
    before: unknown,
    after: unknown,
  ): Promise<void> {
    const old = new Map(memberRows(before).map((m) => [m.value, m]));
    const next = memberRows(after);
    const nextIds = new Set(next.map((m) => m.value));
    const removed = [...old.keys()].filter((v) => !nextIds.has(v));
    const added = next.filter((m) => !old.has(m.value));
    const changed = next.filter((m) => {
      const o = old.get(m.value);
      return o !== undefined && (o.type !== m.type || o.display !== m.display);
    });
    if (removed.length > 0)
      await tx.query(`DELETE FROM group_members WHERE group_id = $1::uuid AND member_id = ANY($2::uuid[])`, [
        groupId,
        removed,
      ]);
    for (const [rows, sql] of [
      [
        added,
        `INSERT INTO group_members (tenant_id, group_id, member_id, member_type, display)
         SELECT $1::uuid, $2::uuid, m.id, m.type, m.display
         FROM unnest($3::uuid[], $4::text[], $5::text[]) WITH ORDINALITY AS m(id, type, display, n) ORDER BY m.n`,
      ],
      [
        changed,
        `UPDATE group_members gm SET member_type = m.type, display = m.display
         FROM unnest($3::uuid[], $4::text[], $5::text[]) AS m(id, type, display)
         WHERE gm.tenant_id = $1::uuid AND gm.group_id = $2::uuid AND gm.member_id = m.id`,
      ],
    ] as const)
      if (rows.length > 0)
        await tx.query(sql, [
          tenantId,
          groupId,
          rows.map((m) => m.value),
          rows.map((m) => m.type),
          rows.map((m) => m.display),
        ]);
  }

  private async saveContribution(
    tx: RawTx,
    ctx: WriteContext,
    resourceType: string,
    resourceId: string,
    view: SourceView,
  ): Promise<void> {
    const hash = createHash('sha256')
      .update(canonicalJson({ attributes: view.attributes, externalId: view.externalId }))
      .digest('hex');
    await tx.query(
      `INSERT INTO contributions (id, tenant_id, source_id, resource_type, source_key, external_id, resource_id,
                                  attributes, hash, asserted_at, created_at, updated_at)
       VALUES ($1::uuid, $2::uuid, $3::uuid, $4, $5, $6, $9::uuid, $7::jsonb, $8, now(), now(), now())
       ON CONFLICT (source_id, resource_type, source_key) DO UPDATE SET
         external_id = EXCLUDED.external_id, resource_id = EXCLUDED.resource_id, attributes = EXCLUDED.attributes,
         hash = EXCLUDED.hash, asserted_at = now(), deleted_at = NULL, updated_at = now()`,
      [
        randomUUID(),
        ctx.tenantId,
        ctx.sourceId,
        resourceType,
        resourceId,
        view.externalId,
        JSON.stringify(view.attributes),
        hash,
        resourceId,
      ],
    );
  }

  private async outbox(
    tx: RawTx,
    tenantId: TenantId,
    resourceType: string,
    resourceId: string,
    version: number,
    kind: 'created' | 'updated' | 'deleted',
  ): Promise<void> {
    await tx.query(
      `INSERT INTO outbox (tenant_id, resource_type, resource_id, version, kind) VALUES ($1::uuid, $2, $3::uuid, $4, $5)`,
      [tenantId, resourceType, resourceId, version, kind],
    );
  }

  private async transaction<T>(fn: (tx: RawTx) => Promise<T>): Promise<T> {
    try {
      return await this.prisma.rawTransaction(fn);
    } catch (error) {
      // A concurrent write can still win the unique index between our check and our update.
      if (
        !(error instanceof UniqueKeyTakenError) &&
        /23505|unique constraint/i.test(String((error as Error)?.message))
      )
        throw new UniqueKeyTakenError('resource');
      throw error;
    }
  }
}

/**
 * Appends one entry to the tenant's audit hash chain inside the write's transaction: the same rows
 * and chain as `AuditRepository.append` (per-tenant advisory lock, predecessor's hash,
 * `auditHash`), through node-postgres so the lock is held for less time (ADR 0303).
 */
async function appendAudit(tx: RawTx, tenantId: TenantId, entry: AuditEntry): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`audit:${tenantId}`]);
  const last = await tx.query<{ hash: string }>(
    `SELECT hash FROM audit_events WHERE tenant_id = $1::uuid ORDER BY seq DESC LIMIT 1`,
    [tenantId],
  );
  const at = new Date();
  const prevHash = last[0]?.hash ?? null;
  await tx.query(
    `INSERT INTO audit_events (tenant_id, at, actor_type, actor_id, source_id, action, resource_type, resource_id,
                               detail, request_id, prev_hash, hash)
     VALUES ($1::uuid, $2, $3, $4, $5::uuid, $6, $7, $8, $9::jsonb, $10, $11, $12)`,
    [
      tenantId,
      at,
      entry.actorType,
      entry.actorId ?? null,
      entry.sourceId ?? null,
      entry.action,
      entry.resourceType ?? null,
      entry.resourceId ?? null,
      JSON.stringify(entry.detail ?? {}),
      entry.requestId ?? null,
      prevHash,
      auditHash(prevHash, tenantId, at, entry),
    ],
  );
}

/** Top-level attributes that differ, with their old and new values. */
function diff(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): Record<string, { from?: unknown; to?: unknown }> {
  const out: Record<string, { from?: unknown; to?: unknown }> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const a = before[key];
    const b = after[key];
    if (canonicalJson(a) === canonicalJson(b)) continue;
    out[key] = { ...(a !== undefined ? { from: a } : {}), ...(b !== undefined ? { to: b } : {}) };
  }
  return out;
}

function summarise(changes: Record<string, { from?: unknown; to?: unknown }>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, change] of Object.entries(changes)) {
    out[key] = {
      ...('from' in change ? { from: summariseValue(change.from) } : {}),
      ...('to' in change ? { to: summariseValue(change.to) } : {}),
    };
  }
  return out;
}

function summariseValue(value: unknown): unknown {
  const text = JSON.stringify(value) ?? 'null';
  if (text.length <= MAX_AUDIT_VALUE_CHARS) return value;
  return { omitted: true, chars: text.length, sha256: createHash('sha256').update(text).digest('hex') };
}

interface MemberRow {
  value: string;
  type: string;
  display: string | null;
}

/** The members a write asserts, as rows (values are resolved resource ids by now). */
function memberRows(members: unknown): MemberRow[] {
  if (!Array.isArray(members)) return [];
  const out: MemberRow[] = [];
  for (const m of members as Array<Record<string, unknown> | null>) {
    if (!m || !isUuid(m.value)) continue;
    out.push({
      value: m.value,
      type: typeof m.type === 'string' ? m.type : 'User',
      display: typeof m.display === 'string' ? m.display : null,
    });
  }
  return out;
}

/**
 * The resource row's JSON: `members` is held in `group_members`, so the stored attribute is the
 * marker `[]` (it says the resource holds members; reads compose the list from the table).
 */
function storedJson(attributes: Record<string, unknown>): string {
  if (!Array.isArray(attributes.members)) return JSON.stringify(attributes);
  return JSON.stringify({ ...attributes, members: [] });
}
