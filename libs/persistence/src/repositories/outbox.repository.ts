import { Injectable } from '@nestjs/common';
import { PrismaService } from '../prisma.service';
import { asTenantId, type TenantId } from '../tenant-id';

export interface OutboxEventRecord {
  seq: bigint;
  tenantId: TenantId;
  resourceType: string;
  resourceId: string;
  version: number;
  kind: string;
}

/** The relay's side of the transactional outbox (writers insert rows in their own transactions). */
@Injectable()
export class OutboxRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Locks the oldest unrelayed rows (other relays skip them), hands them to `publish`, and marks
   * them relayed in the same transaction. If publishing fails or the process dies before the
   * commit, the rows stay unrelayed and are published again: at-least-once, in sequence order.
   * Plain SQL on a pooled connection (`sqlTransaction`): Prisma's interactive transaction failed
   * to start in time under bulk loads ("Unable to start a transaction in the given time").
   */
  async relayBatch(limit: number, publish: (events: OutboxEventRecord[]) => Promise<void>): Promise<number> {
    return this.prisma.sqlTransaction(async (tx) => {
      const rows = await tx.$queryRawUnsafe<
        Array<{
          seq: bigint;
          tenant_id: string;
          resource_type: string;
          resource_id: string;
          version: number;
          kind: string;
        }>
      >(
        `SELECT seq, tenant_id, resource_type, resource_id, version, kind FROM outbox
         WHERE relayed_at IS NULL ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED`,
        limit,
      );
      if (rows.length === 0) return 0;
      await publish(
        rows.map((r) => ({
          seq: r.seq,
          tenantId: asTenantId(r.tenant_id),
          resourceType: r.resource_type,
          resourceId: r.resource_id,
          version: r.version,
          kind: r.kind,
        })),
      );
      await tx.$executeRawUnsafe(
        'UPDATE outbox SET relayed_at = now() WHERE seq = ANY($1::bigint[])',
        rows.map((r) => String(r.seq)),
      );
      return rows.length;
    });
  }

  async pendingCount(): Promise<number> {
    const [row] = await this.prisma.$queryRaw<
      Array<{ n: bigint }>
    >`SELECT count(*) AS n FROM outbox WHERE relayed_at IS NULL`;
    return Number(row?.n ?? 0);
  }
}
