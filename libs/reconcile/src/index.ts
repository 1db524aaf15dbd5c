// Public API of @hub/reconcile: the pure core (comparison, classification, policies, owned
// attributes, read plans, reports) and the Nest services (ReconcileModule) the worker and API share.
export * from './compare';
export * from './classify';
export * from './link-tally';
export * from './owned';
export * from './policy';
export * from './read-plan';
export * from './report';
export * from './seen-set';
export * from './service/reconcile.module';
export * from './service/reconcile-requests.service';
export * from './service/reconcile-runner.service';
export * from './service/target-reconciler.service';
export * from './service/source-reconciler.service';
export * from './service/target-owned.service';
export * from './progress-buffer';
