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

export const JWT_ALGORITHM = 'EdDSA';
