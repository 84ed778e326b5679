import type { JWK } from 'jose';
import type { EncryptionKey } from '../crypto/aead.js';

export class ConfigError extends Error {}

/** Small parsers for environment variables; each error names the variable and the expected form. */
export const z = {
  oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
    if (!(allowed as readonly string[]).includes(value)) throw new ConfigError(`${name} must be one of ${allowed.join(', ')}; got "${value}"`);
    return value as T;
  },
  port(name: string, value: string): number {
    const port = Number(value);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`${name} must be a port number (0-65535); got "${value}"`);
    return port;
  },
  int(name: string, value: string, min: number, max: number): number {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be a whole number from ${min} to ${max}; got "${value}"`);
    return n;
  },
  optionalUrl(name: string, value: string | undefined, protocols: string[]): string | undefined {
    if (!value) return undefined;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new ConfigError(`${name} must be a URL (${protocols.join(' or ')}//…)`);
    }
    if (!protocols.includes(url.protocol)) throw new ConfigError(`${name} must start with ${protocols.join(' or ')}//`);
    return value;
  },
  /** A shared secret sent as a bearer token: long enough not to be guessed, no spaces. */
  secretToken(name: string, value: string): string {
    if (value.length < 32 || !/^[\x21-\x7e]+$/.test(value)) throw new ConfigError(`${name} must be at least 32 printable characters without spaces (openssl rand -base64 32)`);
    return value;
  },
  key32(name: string, value: string): Buffer {
    const key = Buffer.from(value, 'base64');
    if (key.length !== 32) throw new ConfigError(`${name} must be 32 bytes in base64 (openssl rand -base64 32)`);
    return key;
  },
  encryptionKeys(name: string, value: string): EncryptionKey[] {
    const keys = value.split(',').map((entry) => {
      const [id, material] = entry.trim().split(':');
      if (!id || !material || !/^[A-Za-z0-9_-]+$/.test(id)) throw new ConfigError(`${name} must be "keyId:base64key[,oldId:base64key…]"`);
      return { id, key: z.key32(name, material) };
    });
    if (!keys.length) throw new ConfigError(`${name} must name at least one key`);
    return keys;
  },
  signingKeys(name: string, value: string): JWK[] {
    let keys: unknown;
    try {
      keys = JSON.parse(value);
    } catch {
      throw new ConfigError(`${name} must be a JSON array of private Ed25519 JWKs`);
    }
    const list = Array.isArray(keys) ? keys : [keys];
    if (!list.length || !list.every((k: JWK) => k && k.kty === 'OKP' && k.crv === 'Ed25519' && typeof k.d === 'string' && typeof k.kid === 'string')) {
      throw new ConfigError(`${name} must be a JSON array of private Ed25519 JWKs, each with a "kid" (npm run keys:generate)`);
    }
    return list as JWK[];
  },
};
