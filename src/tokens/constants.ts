/** Token lifetimes (contract: Tokens). */
export const REFRESH_TOKEN_TTL_MS = 14 * 24 * 60 * 60 * 1000;
export const ACCESS_TOKEN_TTL_S = 5 * 60;
export const SUDO_TOKEN_TTL_S = 5 * 60;
export const PARTIAL_TOKEN_TTL_S = 5 * 60;

export type JwtKind = 'access' | 'sudo' | 'partial';
export type TokenKind = JwtKind | 'refresh';

export const JWT_TTL_S: Record<JwtKind, number> = {
  access: ACCESS_TOKEN_TTL_S,
  sudo: SUDO_TOKEN_TTL_S,
  partial: PARTIAL_TOKEN_TTL_S,
};

/** Access and sudo tokens: asymmetric, so other services verify them with the published JWKS. */
export const JWT_ALGORITHM = 'EdDSA';
/**
 * Partial tokens: only this service ever checks one (at the second factor), so an HMAC with a key
 * derived from the signing key does (keys.ts), for a fortieth of an Ed25519 verification's CPU.
 */
export const PARTIAL_JWT_ALGORITHM = 'HS256';

/** Which algorithm signs which kind; a token whose alg is not its kind's is refused (no confusion). */
export const JWT_ALGORITHM_OF: Record<JwtKind, typeof JWT_ALGORITHM | typeof PARTIAL_JWT_ALGORITHM> = {
  access: JWT_ALGORITHM,
  sudo: JWT_ALGORITHM,
  partial: PARTIAL_JWT_ALGORITHM,
};
