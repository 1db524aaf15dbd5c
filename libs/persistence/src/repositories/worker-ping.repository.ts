import { Injectable } from '@nestjs/common';
import { PrismaService } from '../prisma.service';
import type { TenantId } from '../tenant-id';

export interface WorkerPingRecord {
  id: string;
  holdMs: number;
  requestedAt: Date;
  startedAt: Date | null;
  completedAt: Date | null;
  attempts: number;
  completions: number;
  worker: string | null;
}

@Injectable()
export class WorkerPingRepository {
  constructor(private readonly prisma: PrismaService) {}

  create(tenantId: TenantId, holdMs: number): Promise<WorkerPingRecord> {
    return this.prisma.workerPing.create({ data: { tenantId, holdMs }, omit: { tenantId: true } });
  }

  get(tenantId: TenantId, id: string): Promise<WorkerPingRecord | null> {
    return this.prisma.workerPing.findFirst({ where: { tenantId, id }, omit: { tenantId: true } });
  }

  async markStarted(tenantId: TenantId, id: string, worker: string): Promise<void> {
    await this.prisma.workerPing.updateMany({
      where: { tenantId, id },
      data: { startedAt: new Date(), attempts: { increment: 1 }, worker },
    });
  }

  async markCompleted(tenantId: TenantId, id: string): Promise<void> {
    await this.prisma.workerPing.updateMany({
      where: { tenantId, id },
      data: { completedAt: new Date(), completions: { increment: 1 } },
    });
  }
}
