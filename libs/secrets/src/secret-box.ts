import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Encrypts secrets at rest (bind passwords, client secrets, API keys) with AES-256-GCM.
 * Layout: version (1 byte) · IV (12) · auth tag (16) · ciphertext. The row the secret belongs to
 * is bound in as associated data, so a ciphertext copied onto another row does not decrypt.
 */
const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretsKeyMissingError extends Error {
  constructor() {
    super('SECRETS_KEY is not set: it is required to store or read secrets (32 random bytes, base64)');
    this.name = 'SecretsKeyMissingError';
  }
}

export class SecretDecryptionError extends Error {
  constructor() {
    super('a stored secret could not be decrypted (wrong SECRETS_KEY, or the data was altered)');
    this.name = 'SecretDecryptionError';
  }
}

export class SecretBox {
  constructor(private readonly key: Buffer | undefined) {
    if (key && key.length !== 32) throw new Error('the secrets key must be 32 bytes');
  }

  seal(secrets: Record<string, string>, boundTo: string): Buffer {
    const key = this.requireKey();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(boundTo, 'utf8'));
    const body = Buffer.concat([cipher.update(JSON.stringify(secrets), 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
  }

  open(sealed: Buffer, boundTo: string): Record<string, string> {
    const key = this.requireKey();
    if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== VERSION) throw new SecretDecryptionError();
    const iv = sealed.subarray(1, 1 + IV_BYTES);
    const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    const body = sealed.subarray(1 + IV_BYTES + TAG_BYTES);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAAD(Buffer.from(boundTo, 'utf8'));
      decipher.setAuthTag(tag);
      const text = Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
      return JSON.parse(text) as Record<string, string>;
    } catch {
      throw new SecretDecryptionError();
    }
  }

  private requireKey(): Buffer {
    if (!this.key) throw new SecretsKeyMissingError();
    return this.key;
  }
}
