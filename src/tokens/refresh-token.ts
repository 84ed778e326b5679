import { sha256 } from '../crypto/hash.js';
import { randomToken } from '../crypto/random.js';

/** A refresh token is stored only as its SHA-256. */
export function hashRefreshToken(token: string): Buffer {
  return sha256(token);
}

/** A new 256-bit refresh token and the hash it is stored under. */
export function newRefreshToken(): { token: string; tokenHash: Buffer } {
  const token = randomToken();
  return { token, tokenHash: hashRefreshToken(token) };
}
