import type { Deps } from '../deps.js';
import { okText } from '../http/handler.js';
import { refreshCookie } from './refresh-cookie.js';

/**
 * The two reply shapes of cookie mode (`?cookie=true`, contract: Browser clients). An operation
 * that hands out a refresh token gets cookie mode by taking the spec's `cookie` parameter and
 * answering through one of these: the token then goes into the HttpOnly cookie, never the body.
 */
interface CookieModeQuery {
  cookie?: boolean;
}

interface SessionTokens {
  accessToken: string;
  refreshToken: string;
  sudoToken: string;
}

/** login, getRefreshToken: the refresh token as text/plain, or 204 with the cookie. */
export function refreshTokenReply(deps: Pick<Deps, 'config'>, query: CookieModeQuery | undefined, refreshToken: string) {
  if (!query?.cookie) return okText(refreshToken);
  return { status: 204 as const, body: undefined as void, headers: { 'Set-Cookie': refreshCookie(deps.config, refreshToken) } };
}

/** A passed second factor: the three tokens, or `{accessToken, sudoToken}` with the cookie. */
export function sessionTokensReply(deps: Pick<Deps, 'config'>, query: CookieModeQuery | undefined, tokens: SessionTokens) {
  if (!query?.cookie) return { status: 200 as const, body: tokens };
  const { refreshToken, ...rest } = tokens;
  return { status: 200 as const, body: rest, headers: { 'Set-Cookie': refreshCookie(deps.config, refreshToken) } };
}
