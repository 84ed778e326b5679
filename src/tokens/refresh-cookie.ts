import type { Config } from '../config/index.js';
import { REFRESH_TOKEN_TTL_MS } from './constants.js';

/**
 * Cookie mode (contract: Browser clients): the refresh token as an HttpOnly cookie, which no
 * script can read. Path=/auth: only the refresh-token operations ever receive it.
 * SameSite=Strict keeps it off cross-site requests; the Origin check (authenticate.ts) is the
 * CSRF defence that does not depend on it.
 */
export const REFRESH_COOKIE = 'sg_refresh';
const COOKIE_PATH = '/auth';

/** `Secure` everywhere but a plain-http localhost PUBLIC_URL (development), where a browser would drop it. */
function attributes(config: Pick<Config, 'publicUrl'>, maxAgeS: number): string {
  const url = new URL(config.publicUrl);
  const secure = !(url.protocol === 'http:' && url.hostname === 'localhost');
  return `Max-Age=${maxAgeS}; Path=${COOKIE_PATH}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

/** The Set-Cookie value that hands the browser a refresh token, for the token's whole lifetime. */
export function refreshCookie(config: Pick<Config, 'publicUrl'>, refreshToken: string): string {
  return `${REFRESH_COOKIE}=${refreshToken}; ${attributes(config, Math.floor(REFRESH_TOKEN_TTL_MS / 1000))}`;
}

/** The Set-Cookie value that deletes it (same name, path and attributes, Max-Age=0). */
export function clearedRefreshCookie(config: Pick<Config, 'publicUrl'>): string {
  return `${REFRESH_COOKIE}=; ${attributes(config, 0)}`;
}

/** The refresh cookie's value in a Cookie header, if there is one (the first one wins, as browsers send the most specific first). */
export function readRefreshCookie(cookieHeader: string | undefined): string | undefined {
  if (!cookieHeader) return undefined;
  for (const pair of cookieHeader.split(';')) {
    const separator = pair.indexOf('=');
    if (separator < 0 || pair.slice(0, separator).trim() !== REFRESH_COOKIE) continue;
    const value = pair.slice(separator + 1).trim().replace(/^"(.*)"$/, '$1');
    return value || undefined;
  }
  return undefined;
}
