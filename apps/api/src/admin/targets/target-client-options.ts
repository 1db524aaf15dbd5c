import type { TargetAuth, TargetSecrets, TargetTls } from '@hub/push';
import type { AuthConfig, HttpClientOptions } from '@hub/scim-client';

/**
 * The scim-client options for talking to a target from the admin API (discovery, probe): its
 * stored auth and TLS with the opened secrets. Admin calls use short timeouts and few retries:
 * an admin is waiting for the answer.
 */
export function targetClientOptions(
  target: { baseUrl: string; auth: Record<string, unknown>; tls: Record<string, unknown> },
  secrets: TargetSecrets,
): HttpClientOptions {
  const tls = target.tls as TargetTls;
  return {
    baseUrl: target.baseUrl,
    auth: authConfig(target.auth as unknown as TargetAuth, secrets),
    tls: {
      ...(tls.caPem ? { caPem: tls.caPem } : {}),
      ...(tls.clientCertPem ? { certPem: tls.clientCertPem } : {}),
      ...(secrets.clientKeyPem ? { keyPem: secrets.clientKeyPem } : {}),
      ...(tls.serverName ? { serverName: tls.serverName } : {}),
    },
    timeouts: { connectMs: 5_000, headersMs: 15_000, bodyMs: 15_000 },
    retry: { maxAttempts: 2, maxRetryAfterMs: 5_000 },
    connections: 2,
    userAgent: 'scim-hub',
  };
}

function authConfig(auth: TargetAuth, secrets: TargetSecrets): AuthConfig {
  switch (auth.kind) {
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
