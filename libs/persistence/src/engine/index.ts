export * from './engine-store.types';
export * from './engine-store.repository';
export * from './engine-rule-set.repository';
export * from './correlation-case.repository';
export * from './recompute-run.repository';
export * from './engine-gateway.token';
export * from './engine-batch.repository';
