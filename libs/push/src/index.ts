// Public API of @hub/push: target configuration, the pure core (no I/O), and the Nest services
// (PushModule) the worker and the API share.
export * from './target-config';
export * from './target-config.validator';
export * from './capabilities';
export * from './target-connection';
export * from './job-ids';
export * from './representation';
export * from './scope';
export * from './plan';
export * from './membership';
export * from './policies';
export * from './service/push.module';
export * from './service/push.service';
export * from './service/push-step.service';
export * from './service/push-lanes.service';
export * from './service/target-context.service';
export * from './service/target-gate.service';
