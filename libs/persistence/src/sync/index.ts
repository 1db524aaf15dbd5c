export * from './sync-persistence.module';
