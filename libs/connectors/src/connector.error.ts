/**
 * - `auth`: the source refused our credentials (bad password, expired token, 401/403).
 * - `unreachable`: no answer (DNS, refused, reset, timeout).
 * - `tls`: the TLS handshake failed (untrusted CA, wrong host name, expired certificate).
 * - `config`: the configuration cannot work (bad base DN, bad mapping, bad URL, unknown cursor).
 * - `remote`: the source answered with an error we cannot fix by retrying now.
 */
export type ConnectorErrorKind = 'auth' | 'unreachable' | 'tls' | 'config' | 'remote';

/**
 * The one error a connector throws. `message` is written for an admin and never contains a
 * secret; `cause` keeps the underlying error for logs (also secret-free: drivers do not echo
 * passwords, and we never put them in messages).
 */
export class ConnectorError extends Error {
  readonly kind: ConnectorErrorKind;
  /** Whether trying again later may succeed without anyone changing the configuration. */
  readonly retryable: boolean;

  constructor(
    kind: ConnectorErrorKind,
    message: string,
    options: { cause?: unknown; retryable?: boolean } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ConnectorError';
    this.kind = kind;
    this.retryable = options.retryable ?? (kind === 'unreachable' || kind === 'remote');
  }
}

export function isConnectorError(error: unknown): error is ConnectorError {
  return error instanceof ConnectorError;
}
