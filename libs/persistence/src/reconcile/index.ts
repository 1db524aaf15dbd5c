export * from './reconcile-persistence.module';
