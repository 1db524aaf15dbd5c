import { Injectable } from '@nestjs/common';
import { Prisma } from '../generated/client';
import { PrismaService } from '../prisma.service';
import { asTenantId, type TenantId } from '../tenant-id';

/**
 * A downstream SCIM target as stored. JSON columns stay loosely typed here (`libs/push` owns
 * their shapes and validation) so persistence does not depend on the push library.
 */
export interface TargetRecord {
  id: string;
  tenantId: TenantId;
  name: string;
  baseUrl: string;
  /** `TargetAuth` of libs/push (non-secret parts). */
  auth: Record<string, unknown>;
  /** Sealed `TargetSecrets` (see @hub/secrets, bound to `targetSecretsBinding`); never returned by the API. */
  sealedSecrets: Buffer | null;
  tls: Record<string, unknown>;
  capabilities: Record<string, unknown> | null;
  capabilityOverrides: Record<string, unknown>;
  dialect: Record<string, unknown> | null;
  /** `TargetResourceTypes` of libs/push. */
  resourceTypes: Record<string, unknown>;
  rateLimit: number;
  concurrency: number;
  deletionThreshold: { share: number; windowMinutes: number; minimum: number };
  enabled: boolean;
  state: 'active' | 'quarantined' | 'held';
  stateReason: string | null;
  stateSince: Date | null;
  nextProbeAt: Date | null;
  probeFailures: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewTarget {
  name: string;
  baseUrl: string;
  auth: Record<string, unknown>;
  tls?: Record<string, unknown>;
  capabilities?: Record<string, unknown> | null;
  capabilityOverrides?: Record<string, unknown>;
  resourceTypes: Record<string, unknown>;
  rateLimit?: number;
  concurrency?: number;
  deletionThreshold?: { share: number; windowMinutes: number; minimum: number };
  enabled?: boolean;
}

export type TargetChanges = Partial<NewTarget> & {
  sealedSecrets?: Buffer | null;
  dialect?: Record<string, unknown> | null;
};

/** Per-target visibility: links by status, plus the target's own state. */
export interface TargetCounts {
  targetId: string;
  state: TargetRecord['state'];
  stateReason: string | null;
  /** Links with a remote object (synced, or pending a change). */
  linked: number;
  /** Links with work to do (pushed version behind the desired one), not failed or held. */
  pending: number;
  failed: number;
  held: number;
  outOfScope: number;
}

export class TargetNameTakenError extends Error {
  constructor(readonly targetName: string) {
    super(`a target named "${targetName}" already exists`);
    this.name = 'TargetNameTakenError';
  }
}

/** What the sealed secrets of a target are bound to (a ciphertext moved to another row does not open). */
export function targetSecretsBinding(tenantId: string, targetId: string): string {
  return `target:${tenantId}:${targetId}`;
}

@Injectable()
export class TargetRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Creates the row, then lets `seal` bind the secrets to its id, in one transaction. */
  async create(
    tenantId: TenantId,
    target: NewTarget,
    seal?: (targetId: string) => Buffer,
  ): Promise<TargetRecord> {
    try {
      return await this.prisma.$transaction(async (tx) => {
        const row = await tx.target.create({
          data: { tenantId, ...dataOf(target) } as Prisma.TargetUncheckedCreateInput,
        });
        if (!seal) return toRecord(row);
        return toRecord(
          await tx.target.update({ where: { id: row.id }, data: { secrets: Uint8Array.from(seal(row.id)) } }),
        );
      });
    } catch (error) {
      throw translate(error, target.name);
    }
  }

  async list(tenantId: TenantId): Promise<TargetRecord[]> {
    const rows = await this.prisma.target.findMany({ where: { tenantId }, orderBy: { createdAt: 'asc' } });
    return rows.map(toRecord);
  }

  /** The enabled targets of several tenants at once (the fan-out's batched read). */
  async listEnabledOf(tenantIds: readonly TenantId[]): Promise<TargetRecord[]> {
    const rows = await this.prisma.target.findMany({
      where: { tenantId: { in: [...tenantIds] }, enabled: true },
      orderBy: { createdAt: 'asc' },
    });
    return rows.map(toRecord);
  }

  async get(tenantId: TenantId, id: string): Promise<TargetRecord | null> {
    const row = await this.prisma.target.findFirst({ where: { tenantId, id } });
    return row && toRecord(row);
  }

  /** Every enabled target of every tenant (the worker's scans after a Redis loss). */
  async listEnabled(): Promise<TargetRecord[]> {
    const rows = await this.prisma.target.findMany({
      where: { enabled: true },
      orderBy: { createdAt: 'asc' },
    });
    return rows.map(toRecord);
  }

  /** Enabled targets that provision this resource type (its entry present and enabled). */
  async listForResourceType(tenantId: TenantId, resourceType: string): Promise<TargetRecord[]> {
    const rows = await this.prisma.target.findMany({ where: { tenantId, enabled: true } });
    return rows.map(toRecord).filter((t) => {
      const config = t.resourceTypes[resourceType] as { enabled?: boolean } | undefined;
      return config !== undefined && config.enabled !== false;
    });
  }

  async update(tenantId: TenantId, id: string, changes: TargetChanges): Promise<TargetRecord | null> {
    const data: Prisma.TargetUpdateManyMutationInput = dataOf(changes);
    if (changes.sealedSecrets !== undefined)
      data.secrets = changes.sealedSecrets ? Uint8Array.from(changes.sealedSecrets) : null;
    if (changes.dialect !== undefined)
      data.dialect = changes.dialect === null ? Prisma.DbNull : (changes.dialect as object);
    try {
      const { count } = await this.prisma.target.updateMany({ where: { tenantId, id }, data });
      return count ? this.get(tenantId, id) : null;
    } catch (error) {
      throw translate(error, changes.name ?? '');
    }
  }

  async delete(tenantId: TenantId, id: string): Promise<boolean> {
    const { count } = await this.prisma.target.deleteMany({ where: { tenantId, id } });
    return count > 0;
  }

  /**
   * active → quarantined (first probe at `nextProbeAt`). False when the target was not active
   * (already quarantined or held: the first reason stays).
   */
  async quarantine(tenantId: TenantId, id: string, reason: string, nextProbeAt: Date): Promise<boolean> {
    const { count } = await this.prisma.target.updateMany({
      where: { tenantId, id, state: 'active' },
      data: {
        state: 'quarantined',
        stateReason: reason.slice(0, 500),
        stateSince: new Date(),
        nextProbeAt,
        probeFailures: 0,
      },
    });
    return count > 0;
  }

  /** A probe of a quarantined target failed: the next one waits longer. */
  async probeFailed(tenantId: TenantId, id: string, reason: string, nextProbeAt: Date): Promise<void> {
    await this.prisma.target.updateMany({
      where: { tenantId, id, state: 'quarantined' },
      data: { stateReason: reason.slice(0, 500), nextProbeAt, probeFailures: { increment: 1 } },
    });
  }

  /** active → held: deprovisioning beyond the deletion threshold waits for an admin. */
  async hold(tenantId: TenantId, id: string, reason: string): Promise<boolean> {
    const { count } = await this.prisma.target.updateMany({
      where: { tenantId, id, state: 'active' },
      data: { state: 'held', stateReason: reason.slice(0, 500), stateSince: new Date() },
    });
    return count > 0;
  }

  /** Back to active from `from` (quarantined after a good probe, held after confirm/discard). */
  async resume(tenantId: TenantId, id: string, from: 'quarantined' | 'held'): Promise<boolean> {
    const { count } = await this.prisma.target.updateMany({
      where: { tenantId, id, state: from },
      data: {
        state: 'active',
        stateReason: null,
        stateSince: new Date(),
        nextProbeAt: null,
        probeFailures: 0,
      },
    });
    return count > 0;
  }

  /** Quarantined targets whose next probe is due, across tenants (the catch-up scheduler). */
  async dueProbes(now: Date, limit = 100): Promise<Array<{ tenantId: TenantId; id: string }>> {
    const rows = await this.prisma.target.findMany({
      where: { state: 'quarantined', enabled: true, nextProbeAt: { lte: now } },
      select: { id: true, tenantId: true },
      orderBy: { nextProbeAt: 'asc' },
      take: limit,
    });
    return rows.map((r) => ({ id: r.id, tenantId: asTenantId(r.tenantId) }));
  }

  /** Active, enabled targets of every tenant (the catch-up scan of dirty links). */
  async listActive(): Promise<Array<{ tenantId: TenantId; id: string; rateLimit: number }>> {
    const rows = await this.prisma.target.findMany({
      where: { state: 'active', enabled: true },
      select: { id: true, tenantId: true, rateLimit: true },
    });
    return rows.map((r) => ({ id: r.id, tenantId: asTenantId(r.tenantId), rateLimit: r.rateLimit }));
  }

  /** Link counts per target of the tenant (one target when `targetId` is given). */
  async counts(tenantId: TenantId, targetId?: string): Promise<TargetCounts[]> {
    const rows = await this.prisma.rawQuery<{
      id: string;
      state: string;
      state_reason: string | null;
      linked: string;
      pending: string;
      failed: string;
      held: string;
      out_of_scope: string;
    }>(
      `SELECT t.id, t.state, t.state_reason,
          count(l.id) FILTER (WHERE l.remote_id IS NOT NULL AND l.status IN ('synced','pending','failed','held')) AS linked,
          count(l.id) FILTER (WHERE l.pushed_version IS DISTINCT FROM l.desired_version AND l.status NOT IN ('failed','held')) AS pending,
          count(l.id) FILTER (WHERE l.status = 'failed') AS failed,
          count(l.id) FILTER (WHERE l.status = 'held') AS held,
          count(l.id) FILTER (WHERE l.status = 'out_of_scope') AS out_of_scope
        FROM targets t LEFT JOIN target_links l ON l.target_id = t.id
        WHERE t.tenant_id = $1::uuid AND ($2::uuid IS NULL OR t.id = $2::uuid)
        GROUP BY t.id ORDER BY t.created_at`,
      [tenantId, targetId ?? null],
    );
    return rows.map((r) => ({
      targetId: r.id,
      state: r.state as TargetRecord['state'],
      stateReason: r.state_reason,
      linked: Number(r.linked),
      pending: Number(r.pending),
      failed: Number(r.failed),
      held: Number(r.held),
      outOfScope: Number(r.out_of_scope),
    }));
  }
}

function dataOf(t: Partial<NewTarget>): Prisma.TargetUpdateManyMutationInput {
  const data: Prisma.TargetUpdateManyMutationInput = {};
  if (t.name !== undefined) data.name = t.name;
  if (t.baseUrl !== undefined) data.baseUrl = t.baseUrl;
  if (t.auth !== undefined) data.auth = t.auth as object;
  if (t.tls !== undefined) data.tls = t.tls as object;
  if (t.capabilities !== undefined)
    data.capabilities = t.capabilities === null ? Prisma.DbNull : (t.capabilities as object);
  if (t.capabilityOverrides !== undefined) data.capabilityOverrides = t.capabilityOverrides as object;
  if (t.resourceTypes !== undefined) data.resourceTypes = t.resourceTypes as object;
  if (t.rateLimit !== undefined) data.rateLimit = t.rateLimit;
  if (t.concurrency !== undefined) data.concurrency = t.concurrency;
  if (t.deletionThreshold !== undefined) data.deletionThreshold = t.deletionThreshold;
  if (t.enabled !== undefined) data.enabled = t.enabled;
  return data;
}

function translate(error: unknown, name: string): unknown {
  if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002')
    return new TargetNameTakenError(name);
  return error;
}

type Row = Awaited<ReturnType<PrismaService['target']['findFirstOrThrow']>>;

function toRecord(row: Row): TargetRecord {
  return {
    id: row.id,
    tenantId: asTenantId(row.tenantId),
    name: row.name,
    baseUrl: row.baseUrl,
    auth: (row.auth ?? { kind: 'none' }) as Record<string, unknown>,
    sealedSecrets: row.secrets ? Buffer.from(row.secrets) : null,
    tls: (row.tls ?? {}) as Record<string, unknown>,
    capabilities: (row.capabilities ?? null) as Record<string, unknown> | null,
    capabilityOverrides: (row.capabilityOverrides ?? {}) as Record<string, unknown>,
    dialect: (row.dialect ?? null) as Record<string, unknown> | null,
    resourceTypes: (row.resourceTypes ?? {}) as Record<string, unknown>,
    rateLimit: row.rateLimit,
    concurrency: row.concurrency,
    deletionThreshold: row.deletionThreshold as TargetRecord['deletionThreshold'],
    enabled: row.enabled,
    state: row.state as TargetRecord['state'],
    stateReason: row.stateReason,
    stateSince: row.stateSince,
    nextProbeAt: row.nextProbeAt,
    probeFailures: row.probeFailures,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
