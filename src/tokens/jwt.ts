import { createHmac, randomUUID, sign, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import type { Clock } from '../deps.js';
import { setWithLimit } from '../bounded-map.js';
import { JWT_ALGORITHM, JWT_ALGORITHM_OF, JWT_TTL_S, PARTIAL_JWT_ALGORITHM, type JwtKind } from './constants.js';
import type { TokenKeys } from './keys.js';

export interface JwtClaims {
  userId: string;
  kind: JwtKind;
  /** The user's password_changed_at (ms) when the token was issued: a later change invalidates it. */
  passwordChangedAt: number;
  /** The session an access or sudo token belongs to (`sid`); a partial token has none. */
  sessionId?: string;
}

// Compact JWS (RFC 7515) through node:crypto: access and sudo tokens are Ed25519 (EdDSA), for
// other services to verify with the JWKS; partial tokens, which only this service checks, are
// HMAC-SHA256 (HS256) under a key derived from the signing key (keys.ts), a couple of µs to sign
// or verify on the event loop where an Ed25519 verification costs ~90. An Ed25519 verification
// is cached per token text; a token in the cache costs no cryptography, one not seen before is
// verified on libuv's thread pool when a request presents it (verifyJwtOffLoop). Tokens are
// signed on the event loop (signJwt: ~35 µs an Ed25519 signature here; a hop to the pool cost a
// second factor's request more than that, measured in issue 13), except where a handler's
// signature is most of its work (signJwtOffLoop: GET /auth/accesstoken).
// jose stays the interop reference (test/tokens/jwt.test.ts): tokens signed here verify with it
// (the JWKS, or the partial key), and the reverse.

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function signingInput(keys: TokenKeys, clock: Clock, claims: JwtClaims): string {
  const now = Math.floor(clock.now() / 1000);
  const header = encode({ alg: JWT_ALGORITHM_OF[claims.kind], kid: keys.signingKid, typ: 'JWT' });
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
  return `${header}.${payload}`;
}

const hmac = (key: KeyObject, input: Buffer | string) => createHmac('sha256', key).update(input).digest();

export function signJwt(keys: TokenKeys, clock: Clock, claims: JwtClaims): string {
  const input = signingInput(keys, clock, claims);
  const signature = claims.kind === 'partial' ? hmac(keys.partialKeys.get(keys.signingKid)!, input) : sign(null, Buffer.from(input), keys.signingKey);
  return `${input}.${signature.toString('base64url')}`;
}

/**
 * signJwt with the Ed25519 signature made on libuv's thread pool (free of argon2, which has
 * threads of its own): for `GET /auth/accesstoken`, whose signature is most of what the event
 * loop would spend on it beyond the token lookup.
 */
export function signJwtOffLoop(keys: TokenKeys, clock: Clock, claims: JwtClaims): Promise<string> {
  if (claims.kind === 'partial') return Promise.resolve(signJwt(keys, clock, claims));
  const input = signingInput(keys, clock, claims);
  return new Promise((resolve, reject) =>
    sign(null, Buffer.from(input), keys.signingKey, (err, signature) => (err ? reject(err) : resolve(`${input}.${signature.toString('base64url')}`))),
  );
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
 * Tokens whose signature and fixed claims were verified, by their exact text: a client presents
 * its access token on every request for the token's few minutes of life, and an Ed25519
 * verification is the token check's largest CPU cost (about a quarter of a validate request on
 * the event loop, issue 13). A hit skips only what cannot change for the same bytes (header,
 * signature, iss, typ, sub, pwc); the time checks run on every use, and the online checks (user
 * row, session) are the caller's, always. Bounded (oldest first out); only valid tokens enter,
 * so garbage cannot churn it. Per key set: another set of keys verifies afresh.
 */
export const VERIFIED_TOKEN_CACHE_SIZE = 4096;

interface VerifiedToken {
  claims: JwtClaims;
  exp: number;
  nbf: number | undefined;
}

const verifiedTokens = new WeakMap<TokenKeys, Map<string, VerifiedToken>>();

function verifiedTokensOf(keys: TokenKeys): Map<string, VerifiedToken> {
  let cache = verifiedTokens.get(keys);
  if (!cache) verifiedTokens.set(keys, (cache = new Map()));
  return cache;
}

/** Entries in the verified-token cache of `keys` (tests). */
export const verifiedTokenCount = (keys: TokenKeys): number => verifiedTokensOf(keys).size;

const isCurrent = (token: VerifiedToken, now: number) => token.exp > now && (token.nbf === undefined || token.nbf <= now);

/**
 * The checks jose's jwtVerify made with the options this service used, nothing looser: alg
 * EdDSA, or HS256 for a partial token only (so never `none`, and never an HMAC'd access token), a
 * known `kid`, no `crit` extension, a valid signature over the exact bytes, then `iss` ours,
 * `sub`/`iat`/`exp` present, `exp` passed at or before now and `nbf` not yet reached rejected with
 * no clock tolerance, `typ` access/sudo/partial, `pwc` a number.
 * Returns undefined for anything that is not a valid token of ours.
 */
export function verifyJwt(keys: TokenKeys, clock: Clock, token: string): JwtClaims | undefined {
  const now = Math.floor(clock.now() / 1000);
  const known = knownToken(keys, token, now);
  if (known !== undefined) return known || undefined;
  const signed = parseSignedToken(keys, token);
  if (!signed) return undefined;
  if (signed.alg === PARTIAL_JWT_ALGORITHM) return verifyPartial(keys, signed, now);
  if (!verify(null, signed.input, signed.key, signed.signature)) return undefined;
  return admit(keys, token, signed, now);
}

/**
 * An HS256 token (a partial token): the HMAC compared in constant time, then the claims, which
 * must be a partial token's. Not cached: checking it again costs less than a cache entry would.
 */
function verifyPartial(keys: TokenKeys, signed: SignedToken, now: number): JwtClaims | undefined {
  const expected = hmac(signed.key, signed.input);
  if (signed.signature.length !== expected.length || !timingSafeEqual(signed.signature, expected)) return undefined;
  const verified = checkClaims(keys, signed, now);
  return verified?.claims;
}

/**
 * verifyJwt with a token not seen before verified on libuv's thread pool (free of argon2, which
 * has threads of its own): a token presented once (a partial token, at the second factor) would
 * otherwise spend a whole Ed25519 verification of the event loop's time. A token in the cache
 * answers without a hop.
 */
export function verifyJwtOffLoop(keys: TokenKeys, clock: Clock, token: string): JwtClaims | undefined | Promise<JwtClaims | undefined> {
  const now = Math.floor(clock.now() / 1000);
  const known = knownToken(keys, token, now);
  if (known !== undefined) return known || undefined;
  const signed = parseSignedToken(keys, token);
  if (!signed) return undefined;
  if (signed.alg === PARTIAL_JWT_ALGORITHM) return verifyPartial(keys, signed, now);
  // A signature the key cannot even check (an error, not `false`) is just as invalid.
  return new Promise((resolve) =>
    verify(null, signed.input, signed.key, signed.signature, (err, valid) =>
      resolve(!err && valid ? admit(keys, token, signed, Math.floor(clock.now() / 1000)) : undefined),
    ),
  );
}

/** The cached claims of a token verified before (false: it was, but is no longer current; undefined: not in the cache). */
function knownToken(keys: TokenKeys, token: string, now: number): JwtClaims | false | undefined {
  const cache = verifiedTokensOf(keys);
  const known = cache.get(token);
  if (!known) return undefined;
  if (isCurrent(known, now)) return known.claims;
  cache.delete(token);
  return false;
}

/** The claims of a token whose signature was just verified, into the cache if they hold. */
function admit(keys: TokenKeys, token: string, signed: SignedToken, now: number): JwtClaims | undefined {
  const verified = checkClaims(keys, signed, now);
  if (!verified) return undefined;
  setWithLimit(verifiedTokensOf(keys), token, verified, VERIFIED_TOKEN_CACHE_SIZE);
  return verified.claims;
}

interface SignedToken {
  alg: typeof JWT_ALGORITHM | typeof PARTIAL_JWT_ALGORITHM;
  input: Buffer;
  key: KeyObject;
  signature: Buffer;
  payloadPart: string;
}

/**
 * A compact JWS of ours, taken apart, before its signature is checked: alg EdDSA with a known kid's
 * public key, or HS256 with a known kid's partial-token key; no crit.
 */
function parseSignedToken(keys: TokenKeys, token: string): SignedToken | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = decodeJsonObject(headerPart);
  if (!header || 'crit' in header || typeof header.kid !== 'string') return undefined;
  const { alg } = header;
  if (alg !== JWT_ALGORITHM && alg !== PARTIAL_JWT_ALGORITHM) return undefined;
  const key = (alg === JWT_ALGORITHM ? keys.verifyKeys : keys.partialKeys).get(header.kid);
  const signature = decodeSegment(signaturePart);
  if (!key || !signature) return undefined;
  return { alg, input: Buffer.from(`${headerPart}.${payloadPart}`), key, signature, payloadPart };
}

/** The payload's claims, once the signature over it is known good. */
function checkClaims(keys: TokenKeys, signed: SignedToken, now: number): VerifiedToken | undefined {
  const payload = decodeJsonObject(signed.payloadPart);
  if (!payload) return undefined;
  if (payload.iss !== keys.issuer || typeof payload.sub !== 'string' || !isNumber(payload.iat) || !isNumber(payload.exp)) return undefined;
  if (payload.nbf !== undefined && !isNumber(payload.nbf)) return undefined;
  const kind = payload.typ;
  if ((kind !== 'access' && kind !== 'sudo' && kind !== 'partial') || !isNumber(payload.pwc)) return undefined;
  // An HMAC'd access token, or an Ed25519-signed partial one, is no token of ours.
  if (JWT_ALGORITHM_OF[kind] !== signed.alg) return undefined;
  const verified: VerifiedToken = {
    claims: Object.freeze({ userId: payload.sub, kind, passwordChangedAt: payload.pwc, ...(typeof payload.sid === 'string' && { sessionId: payload.sid }) }),
    exp: payload.exp,
    nbf: payload.nbf,
  };
  return isCurrent(verified, now) ? verified : undefined;
}
