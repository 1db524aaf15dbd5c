import { targetConnection, type TargetSecrets } from '@hub/push';
import type { HttpClientOptions } from '@hub/scim-client';

/**
 * The scim-client options for talking to a target from the admin API (discovery, probe): how to
 * reach it (`targetConnection`, shared with the push pipeline) with short timeouts and few
 * retries: an admin is waiting for the answer.
 */
export function targetClientOptions(
  target: { baseUrl: string; auth: Record<string, unknown>; tls: Record<string, unknown> },
  secrets: TargetSecrets,
): HttpClientOptions {
  return {
    ...targetConnection(target, secrets),
    timeouts: { connectMs: 5_000, headersMs: 15_000, bodyMs: 15_000 },
    retry: { maxAttempts: 2, maxRetryAfterMs: 5_000 },
    connections: 2,
    userAgent: 'scim-hub',
  };
}
