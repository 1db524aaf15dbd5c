export * from './reconcile-persistence.module';
export * from './reconcile-run.repository';
export * from './reconcile-store.repository';
