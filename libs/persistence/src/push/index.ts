export * from './push-persistence.module';
export * from './target.repository';
export * from './target-link.repository';
export * from './target-membership.repository';
export * from './push-log.repository';
export * from './push-golden.repository';
export * from './push-lock.repository';
export * from './push-step-store.repository';
