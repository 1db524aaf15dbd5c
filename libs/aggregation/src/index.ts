// @hub/aggregation: the aggregation engine (@hub/engine) wired to PostgreSQL (ADR 0203).
export * from './aggregation.module';
export * from './aggregation.service';
export * from './engine-config.service';
export * from './engine-defaults';
export * from './engine-inbound.writer';
export * from './tenant-schemas.service';
export * from './contribution-after-write';
export * from './match-keys';
export * from './provenance-json';
export * from './engine-admin.service';
export * from './recompute.service';
export * from './engine-sweep.service';
export * from './batch-aggregation.service';
