import { createPrivateKey, createPublicKey, createSecretKey, generateKeyPairSync, hkdfSync, randomUUID, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import { JWT_ALGORITHM } from './constants.js';

/**
 * Signing and verification keys for the JWT kinds, as node:crypto KeyObjects: signing and
 * verifying Ed25519 with them is synchronous (tens of microseconds), so a token check never
 * waits for libuv's thread pool, where argon2 runs. The public halves are served as JWKS.
 */
export interface TokenKeys {
  issuer: string;
  signingKid: string;
  signingKey: KeyObject;
  verifyKeys: Map<string, KeyObject>;
  /** HS256 keys of partial tokens by the kid of the signing key each is derived from (partialTokenKey). */
  partialKeys: Map<string, KeyObject>;
  publicJwks: JWK[];
}

/** HKDF's info for the partial-token key: binds the derived key to this one use of the signing key. */
const PARTIAL_KEY_INFO = 'smartgridone-auth partial token HS256 v1';

/**
 * The HMAC key of partial tokens signed under a private JWK: HKDF-SHA256 (RFC 5869) of its
 * Ed25519 seed `d`, with the kid as salt. Every instance holding JWT_SIGNING_KEYS derives the same
 * key, a rotation rotates it with the signing key, and nothing public (the JWKS) reveals it.
 */
export function partialTokenKey(jwk: JWK): KeyObject {
  return createSecretKey(Buffer.from(hkdfSync('sha256', Buffer.from(jwk.d!, 'base64url'), jwk.kid!, PARTIAL_KEY_INFO, 32)));
}

export async function generateSigningKey(): Promise<JWK> {
  const { privateKey } = generateKeyPairSync('ed25519');
  return { ...(privateKey.export({ format: 'jwk' }) as JWK), kid: randomUUID(), alg: JWT_ALGORITHM, use: 'sig' };
}

/** The first key signs; every key verifies (so a retired key's tokens live out their 5 minutes). */
export async function loadTokenKeys(privateJwks: JWK[], issuer: string): Promise<TokenKeys> {
  const verifyKeys = new Map<string, KeyObject>();
  const partialKeys = new Map<string, KeyObject>();
  const publicJwks: JWK[] = [];
  for (const jwk of privateJwks) {
    partialKeys.set(jwk.kid!, partialTokenKey(jwk));
    const publicJwk: JWK = { kty: jwk.kty, crv: jwk.crv, x: jwk.x, kid: jwk.kid, alg: JWT_ALGORITHM, use: 'sig' };
    verifyKeys.set(jwk.kid!, createPublicKey({ key: { kty: jwk.kty!, crv: jwk.crv!, x: jwk.x! }, format: 'jwk' }));
    publicJwks.push(publicJwk);
  }
  const first = privateJwks[0]!;
  return {
    issuer,
    signingKid: first.kid!,
    signingKey: createPrivateKey({ key: { kty: first.kty!, crv: first.crv!, x: first.x!, d: first.d! }, format: 'jwk' }),
    verifyKeys,
    partialKeys,
    publicJwks,
  };
}
