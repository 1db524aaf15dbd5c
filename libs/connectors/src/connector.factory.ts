import type { ResourceTypeSchemas } from '@hub/scim';
import type { SourceConnector } from './connector';
import { ConnectorError } from './connector.error';
import { LdapConnector } from './ldap/ldap-connector';
import type { LdapConnectorConfig } from './ldap/ldap-connector.config';
import { RestConnector } from './rest/rest-connector';
import type { RestConnectorConfig } from './rest/rest-connector.config';
import { ScimUpstreamConnector, type ScimUpstreamConfig } from './scim/scim-upstream-connector';

/** Source kinds that have something to connect to. */
export const CONNECTOR_KINDS = ['ldap', 'rest', 'scim_upstream'] as const;
export type ConnectorKind = (typeof CONNECTOR_KINDS)[number];

/** What the hub lends a connector: the tenant's schemas, so mappings may target its extensions. */
export interface ConnectorDeps {
  readonly schemas?: { readonly User?: ResourceTypeSchemas; readonly Group?: ResourceTypeSchemas };
}

/** Secret names a source may store, and where they go in its connector's configuration. */
const AUTH_SECRETS = ['token', 'password', 'value', 'clientSecret'] as const;

/**
 * Builds a source's connector from its stored configuration plus its opened secrets (kept apart
 * at rest: the configuration is readable by admins, the secrets are not). LDAP takes
 * `bindPassword`; REST and upstream SCIM take their `auth` block's secret field (`token`,
 * `password`, API key `value`, OAuth2 `clientSecret`). An unusable configuration is a
 * `ConnectorError` of kind `config` with a message an admin can act on.
 */
export function createConnector(
  kind: string,
  config: Readonly<Record<string, unknown>>,
  secrets: Readonly<Record<string, string>>,
  deps: ConnectorDeps = {},
): SourceConnector {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new ConnectorError('config', 'the source configuration must be a JSON object');
  }
  switch (kind) {
    case 'ldap':
      return new LdapConnector(
        { ...config, bindPassword: secrets.bindPassword ?? '' } as unknown as LdapConnectorConfig,
        deps.schemas ? { schemas: deps.schemas } : {},
      );
    case 'rest':
      return new RestConnector(withAuthSecrets(config, secrets) as unknown as RestConnectorConfig, deps);
    case 'scim_upstream':
      return new ScimUpstreamConnector(
        withAuthSecrets(config, secrets) as unknown as ScimUpstreamConfig,
        deps,
      );
    default:
      throw new ConnectorError('config', `a source of kind ${kind} has nothing to connect to`);
  }
}

function withAuthSecrets(
  config: Readonly<Record<string, unknown>>,
  secrets: Readonly<Record<string, string>>,
): Record<string, unknown> {
  const auth = config.auth;
  if (typeof auth !== 'object' || auth === null) return { ...config };
  const filled: Record<string, unknown> = { ...(auth as Record<string, unknown>) };
  for (const name of AUTH_SECRETS) if (secrets[name] !== undefined) filled[name] = secrets[name];
  return { ...config, auth: filled };
}
