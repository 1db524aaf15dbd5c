/** Node and OpenSSL error codes that mean the TLS handshake failed (certificate or protocol). */
const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'INVALID_CA',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_TLS_HANDSHAKE_TIMEOUT',
  'EPROTO',
]);

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'ECONNABORTED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

export type NetworkErrorKind = 'tls' | 'unreachable';

/** Whether a thrown error is a TLS failure or a connection failure, and a short admin-safe reason. */
export function classifyNetworkError(error: unknown): { kind: NetworkErrorKind; reason: string } | undefined {
  // Duck-typed: errors made by Node core come from another realm under jest (instanceof fails).
  for (let e = asError(error), depth = 0; e && depth < 5; e = asError(e.cause), depth++) {
    const code = typeof e.code === 'string' ? e.code : undefined;
    if (code && (TLS_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')))
      return { kind: 'tls', reason: `${code}: ${e.message}` };
    if (code && UNREACHABLE_CODES.has(code)) return { kind: 'unreachable', reason: code };
    if (/timed? ?out|Connection timeout/i.test(e.message))
      return { kind: 'unreachable', reason: 'timed out' };
  }
  return undefined;
}

interface ErrorLike {
  message: string;
  code?: unknown;
  cause?: unknown;
}

function asError(value: unknown): ErrorLike | undefined {
  return typeof value === 'object' && value !== null && typeof (value as ErrorLike).message === 'string'
    ? (value as ErrorLike)
    : undefined;
}
