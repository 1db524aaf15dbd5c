export * from './api-token';
export * from './scopes';
export * from './tenant-provisioning';
