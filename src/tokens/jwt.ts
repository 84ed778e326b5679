import { decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import type { Clock } from '../deps.js';
import { JWT_ALGORITHM, JWT_TTL_S, type JwtKind } from './constants.js';
import type { TokenKeys } from './keys.js';

export interface JwtClaims {
  userId: string;
  kind: JwtKind;
  /** The user's password_changed_at (ms) when the token was issued: a later change invalidates it. */
  passwordChangedAt: number;
  /** The session an access or sudo token belongs to (`sid`); a partial token has none. */
  sessionId?: string;
}

export async function signJwt(keys: TokenKeys, clock: Clock, claims: JwtClaims): Promise<string> {
  const now = Math.floor(clock.now() / 1000);
  return new SignJWT({ typ: claims.kind, pwc: claims.passwordChangedAt, ...(claims.sessionId && { sid: claims.sessionId }) })
    .setProtectedHeader({ alg: JWT_ALGORITHM, kid: keys.signingKid, typ: 'JWT' })
    .setSubject(claims.userId)
    .setIssuer(keys.issuer)
    .setJti(randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + JWT_TTL_S[claims.kind])
    .sign(keys.signingKey);
}

/** Verifies signature, issuer and expiry; returns undefined for anything that is not a valid token of ours. */
export async function verifyJwt(keys: TokenKeys, clock: Clock, token: string): Promise<JwtClaims | undefined> {
  try {
    const { kid } = decodeProtectedHeader(token);
    const key = kid ? keys.verifyKeys.get(kid) : undefined;
    if (!key) return undefined;
    const { payload } = await jwtVerify(token, key, {
      algorithms: [JWT_ALGORITHM],
      issuer: keys.issuer,
      currentDate: new Date(clock.now()),
      clockTolerance: 0,
      requiredClaims: ['sub', 'exp', 'iat'],
    });
    const kind = payload.typ;
    if ((kind !== 'access' && kind !== 'sudo' && kind !== 'partial') || typeof payload.pwc !== 'number') return undefined;
    return { userId: payload.sub!, kind, passwordChangedAt: payload.pwc, ...(typeof payload.sid === 'string' && { sessionId: payload.sid }) };
  } catch {
    return undefined;
  }
}
