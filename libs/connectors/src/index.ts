// Public API of @hub/connectors: source connectors (LDAP, REST JSON, upstream SCIM) behind one interface.
export * from './connector';
export * from './connector.error';
export * from './full-pull-tracker';
export * from './mapping/mapping.types';
export { AttributeMapper, toIsoDateTime, type MapperOptions } from './mapping/attribute-mapper';
export { jsonSourceView, readPath } from './mapping/source-view';
export * from './ldap/ldap-connector.config';
export { LdapConnector } from './ldap/ldap-connector';
export { escapeFilterValue, equalityFilter, toGeneralizedTime } from './ldap/ldap-filter';
export { formatGuid, normaliseDn } from './ldap/ldap-values';
export * from './rest/rest-connector.config';
export { RestConnector, toConnectorError } from './rest/rest-connector';
export { nextLink } from './rest/link-header';
export {
  ScimUpstreamConnector,
  type ScimUpstreamConfig,
  type ScimUpstreamDeps,
  type ScimUpstreamResourceConfig,
} from './scim/scim-upstream-connector';
export * from './connector.factory';
