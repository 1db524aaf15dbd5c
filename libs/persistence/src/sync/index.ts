export * from './sync-persistence.module';
export * from './sync-run.repository';
export * from './sync-source.repository';
