export * from './hub-config';
export * from './load-config';
export { EnvironmentVariables } from './environment';
export * from './config.module';
export * from './node-flags';
