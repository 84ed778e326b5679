import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** An AES-256 key with the id stored beside every ciphertext it made, so keys can rotate. */
export interface EncryptionKey {
  id: string;
  key: Buffer;
}

export class DecryptionError extends Error {}

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Encrypts with the first (current) key: "<keyId>.<base64url(iv | ciphertext | tag)>". */
export function encryptSecret(keys: readonly EncryptionKey[], plaintext: string, context: string): string {
  const current = keys[0];
  if (!current) throw new Error('no encryption key configured');
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', current.key, iv);
  // Binding the row's owner as associated data stops a ciphertext being moved to another user.
  cipher.setAAD(Buffer.from(context));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `${current.id}.${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}`;
}

export function decryptSecret(keys: readonly EncryptionKey[], sealed: string, context: string): string {
  const dot = sealed.indexOf('.');
  const key = keys.find((k) => k.id === sealed.slice(0, dot));
  if (dot < 0 || !key) throw new DecryptionError('unknown key id');
  const raw = Buffer.from(sealed.slice(dot + 1), 'base64url');
  if (raw.length < IV_BYTES + TAG_BYTES) throw new DecryptionError('ciphertext too short');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new DecryptionError('authentication failed');
  }
}
