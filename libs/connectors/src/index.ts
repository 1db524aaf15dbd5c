// Public API of @hub/connectors: source connectors (LDAP, REST JSON, upstream SCIM) behind one interface.
export * from './connector';
export * from './connector.error';
export * from './full-pull-tracker';
