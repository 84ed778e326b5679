import { randomUUID, sign, verify } from 'node:crypto';
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

// Compact JWS (RFC 7515) with Ed25519 through node:crypto, synchronously: no thread-pool hop, so
// token checks never queue behind argon2 hashes (issue 9). jose stays the interop reference
// (test/tokens/jwt.test.ts): tokens signed here verify with it and the JWKS, and the reverse.

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export function signJwt(keys: TokenKeys, clock: Clock, claims: JwtClaims): string {
  const now = Math.floor(clock.now() / 1000);
  const header = encode({ alg: JWT_ALGORITHM, kid: keys.signingKid, typ: 'JWT' });
  const payload = encode({
    typ: claims.kind,
    pwc: claims.passwordChangedAt,
    ...(claims.sessionId && { sid: claims.sessionId }),
    sub: claims.userId,
    iss: keys.issuer,
    jti: randomUUID(),
    iat: now,
    exp: now + JWT_TTL_S[claims.kind],
  });
  const signature = sign(null, Buffer.from(`${header}.${payload}`), keys.signingKey).toString('base64url');
  return `${header}.${payload}.${signature}`;
}

/** One segment's bytes, only if it is canonical base64url (Buffer's decoder would skip stray characters). */
function decodeSegment(segment: string): Buffer | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(segment)) return undefined;
  const bytes = Buffer.from(segment, 'base64url');
  return bytes.toString('base64url') === segment ? bytes : undefined;
}

function decodeJsonObject(segment: string): Record<string, unknown> | undefined {
  const bytes = decodeSegment(segment);
  if (!bytes) return undefined;
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/**
 * The checks jose's jwtVerify made with the options this service used, nothing looser: alg
 * EdDSA only (so never `none`), a known `kid`, no `crit` extension, a valid signature over the
 * exact bytes, then `iss` ours, `sub`/`iat`/`exp` present, `exp` passed at or before now and `nbf`
 * not yet reached rejected with no clock tolerance, `typ` access/sudo/partial, `pwc` a number.
 * Returns undefined for anything that is not a valid token of ours.
 */
export function verifyJwt(keys: TokenKeys, clock: Clock, token: string): JwtClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = decodeJsonObject(headerPart);
  if (!header || header.alg !== JWT_ALGORITHM || 'crit' in header || typeof header.kid !== 'string') return undefined;
  const key = keys.verifyKeys.get(header.kid);
  const signature = decodeSegment(signaturePart);
  if (!key || !signature) return undefined;
  if (!verify(null, Buffer.from(`${headerPart}.${payloadPart}`), key, signature)) return undefined;

  const payload = decodeJsonObject(payloadPart);
  if (!payload) return undefined;
  const now = Math.floor(clock.now() / 1000);
  if (payload.iss !== keys.issuer || typeof payload.sub !== 'string' || !isNumber(payload.iat) || !isNumber(payload.exp)) return undefined;
  if (payload.exp <= now) return undefined;
  if (payload.nbf !== undefined && (!isNumber(payload.nbf) || payload.nbf > now)) return undefined;
  const kind = payload.typ;
  if ((kind !== 'access' && kind !== 'sudo' && kind !== 'partial') || !isNumber(payload.pwc)) return undefined;
  return { userId: payload.sub, kind, passwordChangedAt: payload.pwc, ...(typeof payload.sid === 'string' && { sessionId: payload.sid }) };
}
