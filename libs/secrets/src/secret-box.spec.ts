import { randomBytes } from 'node:crypto';
import { SecretBox, SecretDecryptionError, SecretsKeyMissingError } from './secret-box';

describe('SecretBox', () => {
  const box = new SecretBox(randomBytes(32));

  it('round-trips secrets and never contains them in clear', () => {
    const sealed = box.seal({ bindPassword: 'GoodNewsEveryone' }, 'tenant-1/source-1');
    expect(sealed.toString('utf8')).not.toContain('GoodNewsEveryone');
    expect(box.open(sealed, 'tenant-1/source-1')).toEqual({ bindPassword: 'GoodNewsEveryone' });
  });

  it('uses a fresh IV each time', () => {
    expect(box.seal({ a: 'b' }, 'x').equals(box.seal({ a: 'b' }, 'x'))).toBe(false);
  });

  it('refuses a ciphertext moved to another row, altered, or read with another key', () => {
    const sealed = box.seal({ a: 'b' }, 'row-1');
    expect(() => box.open(sealed, 'row-2')).toThrow(SecretDecryptionError);
    const altered = Buffer.from(sealed);
    altered[altered.length - 1]! ^= 1;
    expect(() => box.open(altered, 'row-1')).toThrow(SecretDecryptionError);
    expect(() => new SecretBox(randomBytes(32)).open(sealed, 'row-1')).toThrow(SecretDecryptionError);
    expect(() => box.open(Buffer.alloc(3), 'row-1')).toThrow(SecretDecryptionError);
  });

  it('says which setting is missing when there is no key', () => {
    expect(() => new SecretBox(undefined).seal({ a: 'b' }, 'x')).toThrow(SecretsKeyMissingError);
    expect(() => new SecretBox(undefined).seal({ a: 'b' }, 'x')).toThrow(/SECRETS_KEY/);
  });
});
