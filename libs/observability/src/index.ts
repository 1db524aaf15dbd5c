export * from './logging';
export * from './framework-log-filter';
