// @hub/sync: source sync runs — connectors feeding the aggregation engine (ADR 0503).
export * from './sync.module';
export * from './sync-policy';
export * from './sync-schedule';
export * from './record-draft';
export * from './sync-runner.service';
export * from './sync-requests.service';
export * from './sync-withdrawals.service';
