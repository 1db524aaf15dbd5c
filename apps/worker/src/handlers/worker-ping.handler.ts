import { Injectable } from '@nestjs/common';
import { WorkerPingRepository, asTenantId } from '@hub/persistence';
import { JobName, OnJob, type JobContext, type JobPayloads } from '@hub/queue';

@Injectable()
export class WorkerPingHandler {
  constructor(private readonly pings: WorkerPingRepository) {}

  @OnJob(JobName.WorkerPing)
  async handleWorkerPing(data: JobPayloads[typeof JobName.WorkerPing], context: JobContext): Promise<void> {
    const tenantId = asTenantId(data.tenantId);
    const ping = await this.pings.get(tenantId, data.pingId);
    if (!ping) return; // tenant deleted meanwhile: nothing to do
    await this.pings.markStarted(tenantId, ping.id, context.workerId);
    await abortableDelay(ping.holdMs, context.signal);
    await this.pings.markCompleted(tenantId, ping.id);
  }
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error('aborted'));
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(new Error('aborted'));
      },
      { once: true },
    );
  });
}
