import type { AuthConfig, HttpClientOptions } from '@hub/scim-client';
import type { TargetAuth, TargetSecrets, TargetTls } from './target-config';

/**
 * How to reach a target — base URL, auth with its opened secrets, TLS — as scim-client options.
 * Callers add what depends on the use: the push pipeline its pool size and no retries (each
 * attempt passes the shared rate limit), the admin API short timeouts (an admin is waiting).
 */
export function targetConnection(
  target: { baseUrl: string; auth: unknown; tls: unknown },
  secrets: TargetSecrets,
): Pick<HttpClientOptions, 'baseUrl' | 'auth' | 'tls'> {
  const tls = (target.tls ?? {}) as TargetTls;
  return {
    baseUrl: target.baseUrl,
    auth: authConfig(target.auth as TargetAuth, secrets),
    tls: {
      ...(tls.caPem ? { caPem: tls.caPem } : {}),
      ...(tls.clientCertPem ? { certPem: tls.clientCertPem } : {}),
      ...(secrets.clientKeyPem ? { keyPem: secrets.clientKeyPem } : {}),
      ...(tls.serverName ? { serverName: tls.serverName } : {}),
      // Only an explicit false turns verification off (a lab target); absent means verify.
      ...(tls.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
    },
  };
}

export function authConfig(auth: TargetAuth | undefined, secrets: TargetSecrets): AuthConfig {
  switch (auth?.kind) {
    case 'bearer':
      return { type: 'bearer', token: secrets.token ?? '' };
    case 'basic':
      return { type: 'basic', username: auth.username, password: secrets.password ?? '' };
    case 'oauth2':
      return {
        type: 'oauth2ClientCredentials',
        tokenUrl: auth.tokenUrl,
        clientId: auth.clientId,
        clientSecret: secrets.clientSecret ?? '',
        ...(auth.scope ? { scope: auth.scope } : {}),
        ...(auth.audience ? { audience: auth.audience } : {}),
      };
    default:
      return { type: 'none' };
  }
}
