import { Injectable, Logger } from '@nestjs/common';
import { AggregationService } from '@hub/aggregation';
import { CONNECTOR_KINDS, createConnector, type SourceConnector } from '@hub/connectors';
import {
  ReconcileRunRepository,
  ReconcileStoreRepository,
  SyncSourceRepository,
  type ReconcileRunRecord,
  type TenantId,
} from '@hub/persistence';
import { SecretBox } from '@hub/secrets';
import { recordToDraft, sourceSecretBinding } from '@hub/sync';
import { compareRepresentation } from '../compare';
import { ReportPage } from '../report';
import { ProgressBuffer } from '../progress-buffer';
import { SeenSet } from '../seen-set';
import { ReconcileStop } from './target-reconciler.service';

const KEY_PAGE = 2_000;

/**
 * The same comparison against an upstream source (ADR 0702): a full pull through the source's
 * connector, each record (validated as a sync would) compared with the contribution the hub
 * stored from it. Report only — `stale` (the source says something else now), `not_at_hub` (no
 * contribution), `gone_at_source` (a live contribution the pull did not mention); a sync run fixes
 * them. Nothing is written but the run's report.
 */
@Injectable()
export class SourceReconciler {
  private readonly logger = new Logger(SourceReconciler.name);

  constructor(
    private readonly runs: ReconcileRunRepository,
    private readonly store: ReconcileStoreRepository,
    private readonly sources: SyncSourceRepository,
    private readonly aggregation: AggregationService,
    private readonly secretBox: SecretBox,
  ) {}

  async run(tenantId: TenantId, run: ReconcileRunRecord): Promise<void> {
    const source = await this.sources.get(tenantId, run.subjectId);
    if (!source) throw new ReconcileStop('the source does not exist');
    if (!(CONNECTOR_KINDS as readonly string[]).includes(source.kind))
      throw new ReconcileStop(`a source of kind ${source.kind} has nothing to pull`);
    if (run.mode !== 'full')
      await this.runs.setMode(tenantId, run.id, 'full', 'sources are compared in full');
    const secrets = source.sealedSecrets
      ? (this.secretBox.open(source.sealedSecrets, sourceSecretBinding(tenantId, source.id)) as Record<
          string,
          string
        >)
      : {};
    const schemas = await this.aggregation.prepare(tenantId, run.resourceType);
    const User = await this.aggregation.prepare(tenantId, 'User');
    const Group = await this.aggregation.prepare(tenantId, 'Group');
    let connector: SourceConnector | undefined;
    const seen = new SeenSet();
    const sampled = new Map<string, number>();
    const progress = new ProgressBuffer((delta) => this.runs.progress(tenantId, run.id, delta));
    try {
      try {
        connector = createConnector(source.kind, source.config, secrets, { schemas: { User, Group } });
        for await (const batch of connector.fullPull()) {
          const records = batch.records.filter((r) => r.resourceType === run.resourceType);
          const report = new ReportPage(sampled);
          report.page();
          report.count('seen', records.length);
          const stored = await this.store.contributionsByKeys(
            tenantId,
            source.id,
            run.resourceType,
            records.map((r) => r.sourceKey),
          );
          for (const record of records) {
            seen.add(record.sourceKey);
            const out = recordToDraft(record, schemas);
            if ('failure' in out) {
              report.count('invalid');
              continue;
            }
            const have = stored.get(record.sourceKey);
            if (!have) {
              report.count('not_at_hub');
              report.sample({
                ...sampleOf(record.sourceKey, null),
                class: 'not_at_hub',
                outcome: 'reported',
              });
              continue;
            }
            const differences = compareRepresentation(out.draft.attributes, have.attributes, schemas, {
              pushed: have.attributes,
            });
            if (!differences.length) {
              report.count('in_sync');
              continue;
            }
            report.count('stale');
            report.sample({
              ...sampleOf(record.sourceKey, have.resourceId),
              class: 'stale',
              differences: differences.map((d) => ({ path: d.path, hub: d.remote, remote: d.hub })),
              outcome: 'reported',
            });
          }
          await progress.add(report.take());
        }
      } catch (error) {
        if (error instanceof ReconcileStop) throw error;
        throw new ReconcileStop(`pulling from ${source.name}: ${(error as Error).message}`);
      } finally {
        await connector?.close().catch(() => undefined);
      }
      seen.seal();
      for (let after: string | null = null; ;) {
        const keys = await this.store.contributionKeysPage(
          tenantId,
          source.id,
          run.resourceType,
          after,
          KEY_PAGE,
        );
        if (!keys.length) break;
        after = keys[keys.length - 1]!.sourceKey;
        const report = new ReportPage(sampled);
        for (const k of keys) {
          if (seen.has(k.sourceKey)) continue;
          report.count('gone_at_source');
          report.sample({
            ...sampleOf(k.sourceKey, k.resourceId),
            class: 'gone_at_source',
            outcome: 'reported',
          });
        }
        if (!report.empty) await progress.add(report.take());
      }
    } catch (error) {
      // What the completed pages found stays on the failed run's row.
      await progress.flush().catch(() => undefined);
      throw error;
    }
    await progress.flush();
    this.logger.log({ tenantId, runId: run.id, source: source.name, seen: seen.count }, 'source check done');
  }
}

function sampleOf(sourceKey: string, resourceId: string | null) {
  return { remoteId: sourceKey, resourceId, label: sourceKey, action: 'none' as const };
}
