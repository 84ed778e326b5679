import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { JWT_ALGORITHM } from './constants.js';

/** Signing and verification keys for the JWT kinds; the public halves are served as JWKS. */
export interface TokenKeys {
  issuer: string;
  signingKid: string;
  signingKey: CryptoKey;
  verifyKeys: Map<string, CryptoKey>;
  publicJwks: JWK[];
}

export async function generateSigningKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair(JWT_ALGORITHM, { crv: 'Ed25519', extractable: true });
  return { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: JWT_ALGORITHM, use: 'sig' };
}

/** The first key signs; every key verifies (so a retired key's tokens live out their 5 minutes). */
export async function loadTokenKeys(privateJwks: JWK[], issuer: string): Promise<TokenKeys> {
  const verifyKeys = new Map<string, CryptoKey>();
  const publicJwks: JWK[] = [];
  for (const jwk of privateJwks) {
    const publicJwk: JWK = { kty: jwk.kty, crv: jwk.crv, x: jwk.x, kid: jwk.kid, alg: JWT_ALGORITHM, use: 'sig' };
    verifyKeys.set(jwk.kid!, (await importJWK(publicJwk, JWT_ALGORITHM)) as CryptoKey);
    publicJwks.push(publicJwk);
  }
  const first = privateJwks[0]!;
  return {
    issuer,
    signingKid: first.kid!,
    signingKey: (await importJWK(first, JWT_ALGORITHM)) as CryptoKey,
    verifyKeys,
    publicJwks,
  };
}
