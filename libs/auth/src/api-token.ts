import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Bearer tokens look like `shub_<client id, 32 hex>_<secret, 43 base64url>`. The client id is a
 * lookup key, not a secret; only SHA-256 of the secret is stored. 256 random bits make a slow
 * hash unnecessary, and the comparison is constant-time.
 */
const PREFIX = 'shub_';
const TOKEN_PATTERN = /^shub_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;

export interface IssuedToken {
  clientId: string;
  token: string;
  secretHash: Buffer;
}

export function issueApiToken(clientId: string): IssuedToken {
  const compactId = clientId.replace(/-/g, '').toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(compactId)) throw new Error('client id must be a UUID');
  const secret = randomBytes(32).toString('base64url');
  return { clientId, token: `${PREFIX}${compactId}_${secret}`, secretHash: hashSecret(secret) };
}

export function parseApiToken(token: string): { clientId: string; secret: string } | null {
  const match = TOKEN_PATTERN.exec(token);
  if (!match) return null;
  const hex = match[1]!;
  const clientId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return { clientId, secret: match[2]! };
}

export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

export function secretMatches(secret: string, storedHash: Buffer): boolean {
  const candidate = hashSecret(secret);
  return storedHash.length === candidate.length && timingSafeEqual(candidate, storedHash);
}

/** Extracts the token from an `Authorization: Bearer …` header value. */
export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1]! : null;
}
