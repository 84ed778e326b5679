import express from 'express';
import type { JWK } from 'jose';
import type { AddressLimit } from '../address-limits/constants.js';
import type { EncryptionKey } from '../crypto/aead.js';

/** Express's `trust proxy`: off, a hop count, or the proxies' addresses, CIDRs and names. */
export type TrustProxy = false | number | string[];

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
  /**
   * A comma list of browser origins (scheme://host[:port], no path), e.g. for CORS_ORIGINS. No
   * wildcard: an allowed origin may call with the refresh cookie, so each must be named.
   */
  origins(name: string, value: string | undefined): string[] {
    const list = (value ?? '').split(',').map((entry) => entry.trim()).filter(Boolean);
    return list.map((entry) => {
      let origin: string | undefined;
      try {
        const url = new URL(entry);
        origin = /^https?:$/.test(url.protocol) ? url.origin : undefined;
      } catch {
        origin = undefined;
      }
      if (!origin || origin !== entry.replace(/\/$/, '') || origin.includes('*')) {
        throw new ConfigError(`${name} must be a comma list of origins like https://app.example.com (http or https, no path, no wildcard); got "${entry}"`);
      }
      return origin;
    });
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
  /** `<requests>/<seconds>` (e.g. `60/60`), or `off`; undefined = off. */
  addressLimit(name: string, value: string): AddressLimit | undefined {
    if (value.trim().toLowerCase() === 'off') return undefined;
    const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
    const limit = Number(match?.[1]);
    const periodSeconds = Number(match?.[2]);
    if (!match || limit < 1 || limit > 1_000_000_000 || periodSeconds < 1 || periodSeconds > 86_400) {
      throw new ConfigError(`${name} must be "<requests>/<seconds>" (1-1000000000 requests per 1-86400 s, e.g. 60/60) or "off"; got "${value}"`);
    }
    return { limit, periodSeconds };
  },
  /** A duration: whole seconds, or a number with `s`, `m`, `h` or `d` (`90d`); returns milliseconds. */
  duration(name: string, value: string, minSeconds: number, maxSeconds: number): number {
    const match = /^\s*(\d+)\s*([smhd]?)\s*$/.exec(value);
    const seconds = match ? Number(match[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'] : NaN;
    if (!(seconds >= minSeconds && seconds <= maxSeconds)) {
      throw new ConfigError(`${name} must be a duration from ${minSeconds} to ${maxSeconds} seconds: whole seconds or a number with s, m, h or d (e.g. 90d); got "${value}"`);
    }
    return seconds * 1000;
  },
  /**
   * Express's `trust proxy` forms: a hop count, or a comma list of addresses, CIDRs and the names
   * loopback, linklocal, uniquelocal. `true` (trust every hop) is refused: it would take the
   * left-most X-Forwarded-For, which any client writes itself.
   */
  trustProxy(name: string, value: string | undefined): TrustProxy {
    const text = value?.trim() ?? '';
    if (text === '' || text === 'false') return false;
    if (text === 'true') throw new ConfigError(`${name}=true would let any client choose its address with X-Forwarded-For; name the proxies (e.g. loopback, 10.0.0.0/8) or give a hop count`);
    if (/^\d+$/.test(text)) return z.int(name, text, 0, 100) || false;
    const list = text.split(',').map((entry) => entry.trim()).filter(Boolean);
    try {
      express().set('trust proxy', list); // Express (proxy-addr) compiles the list here and throws on a bad entry
    } catch (err) {
      throw new ConfigError(`${name} must be a hop count or a comma list of addresses, CIDRs, loopback, linklocal, uniquelocal (${(err as Error).message}); got "${text}"`);
    }
    return list;
  },
  /** A WebAuthn relying party ID: a bare domain (no scheme, port or path), e.g. auth.example.com. */
  rpId(name: string, value: string): string {
    const text = value.trim().toLowerCase();
    if (!/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(text)) {
      throw new ConfigError(`${name} must be a domain such as auth.example.com (no scheme, port or path); got "${value}"`);
    }
    return text;
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
