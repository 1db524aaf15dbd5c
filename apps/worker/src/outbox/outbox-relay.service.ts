import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import pg from 'pg';
import { HUB_CONFIG, type HubConfig } from '@hub/config';
import { OutboxRepository, type OutboxEventRecord } from '@hub/persistence';
import { JobName, JobQueue } from '@hub/queue';

/**
 * Moves committed changes from the Postgres outbox to BullMQ. Woken by NOTIFY at commit (see the
 * outbox_notify migration) and by a poll as a fallback; several relays may run (rows are locked
 * with SKIP LOCKED). Delivery is at-least-once: one job per batch, whose id is the batch's range
 * of sequences, so a batch published twice (crash before commit) does not create a duplicate job
 * while the first exists; a batch cut differently (another batch size, another relay) may repeat
 * a change, and consumers are level-triggered anyway.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private listener: pg.Client | undefined;
  private running = false;
  private wake: (() => void) | undefined;
  /** A commit was notified since the current drain began. */
  private woken = false;
  private loop: Promise<void> | undefined;

  constructor(
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
    private readonly outbox: OutboxRepository,
    private readonly jobs: JobQueue,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.outbox.relay) return;
    this.running = true;
    await this.listen();
    this.loop = this.run();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await this.listener?.end().catch(() => undefined);
  }

  /** Relays until the outbox is empty; returns how many rows it moved. */
  async drain(): Promise<number> {
    let moved = 0;
    for (;;) {
      const n = await this.outbox.relayBatch(this.config.outbox.batchSize, (events) => this.publish(events));
      moved += n;
      if (n < this.config.outbox.batchSize || !this.running) return moved;
    }
  }

  private async run(): Promise<void> {
    while (this.running) {
      // A commit notified while draining (nobody waiting yet) must not wait for the next poll.
      this.woken = false;
      try {
        const moved = await this.drain();
        if (moved) this.logger.debug({ moved }, 'outbox relayed');
      } catch (error) {
        this.logger.warn({ err: (error as Error).message }, 'outbox relay failed; retrying');
      }
      if (this.woken && this.running) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.config.outbox.pollMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  private async publish(events: OutboxEventRecord[]): Promise<void> {
    if (!events.length) return;
    // One job for the batch (ADR 0604). Its id is the batch's range of sequences: a batch published
    // again after a crash before its commit covers the same rows, so BullMQ keeps one job.
    const first = events[0]!.seq;
    const last = events[events.length - 1]!.seq;
    await this.jobs.enqueue(
      JobName.ResourcesChanged,
      {
        v: 1,
        events: events.map((e) => ({
          tenantId: e.tenantId,
          resourceType: e.resourceType,
          resourceId: e.resourceId,
          version: e.version,
          kind: e.kind,
          seq: e.seq.toString(),
        })),
      },
      { jobId: `chgs-${first}-${last}` },
    );
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.config.database.url });
    client.on('notification', () => {
      this.woken = true;
      this.wake?.();
    });
    client.on('error', (error) => {
      // Polling carries on; the next start listens again.
      this.logger.warn({ err: error.message }, 'outbox listener lost its connection; polling');
      this.listener = undefined;
    });
    await client.connect();
    await client.query('LISTEN hub_outbox');
    this.listener = client;
  }
}
