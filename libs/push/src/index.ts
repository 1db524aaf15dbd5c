// Public API of @hub/push: Active Push's target configuration and pure core (no I/O, no Nest).
export * from './target-config';
export * from './target-config.validator';
export * from './capabilities';
