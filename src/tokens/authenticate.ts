import type { Deps } from '../deps.js';
import { isAllowedOrigin } from '../http/cors.js';
import { hasTwoFactorEnabled } from '../two-factor/queries.js';
import type { TokenKind } from './constants.js';
import { verifyJwtOffLoop } from './jwt.js';
import { findLiveRefreshToken } from './queries.js';
import { readRefreshCookie } from './refresh-cookie.js';
import { hashRefreshToken } from './refresh-token.js';
import { findTokenSubject, isSessionLive } from '../sessions/queries.js';
import { detectRefreshTokenReuse } from '../sessions/reuse.js';
import { tokenErrors } from './errors.js';

/**
 * Token policies, named like the spec's security schemes: the operation's scheme picks the policy.
 * - refreshToken: a live opaque refresh token
 * - accessToken: access or sudo JWT
 * - accessOrPartialToken: access, sudo or partial JWT
 * - sudoToken: sudo JWT
 * - sudoOrAccessWithout2fa: sudo JWT, or access JWT while the user has no 2FA method active
 */
export const TOKEN_POLICIES = ['refreshToken', 'accessToken', 'accessOrPartialToken', 'sudoToken', 'sudoOrAccessWithout2fa'] as const;
export type TokenPolicy = (typeof TOKEN_POLICIES)[number];

export interface AuthContext {
  userId: string;
  kind: TokenKind;
  /** The user's password change time (ms) the token was checked against: sessions issued for this caller carry it. */
  passwordChangedAt: number;
  /** Set for refresh tokens: the hash that identifies the presented token. */
  refreshTokenHash?: Buffer;
  /** The refresh token came in the HttpOnly cookie (cookie mode), not in the Authorization header. */
  viaCookie?: boolean;
  /** The session of a refresh, access or sudo token (a partial token has none). */
  sessionId?: string;
}

/** The request headers a token can come in. */
export interface PresentedCredentials {
  authorization?: string;
  cookie?: string;
  origin?: string;
}

const ACCEPTED_JWT_KINDS: Record<Exclude<TokenPolicy, 'refreshToken'>, readonly string[]> = {
  accessToken: ['access', 'sudo'],
  accessOrPartialToken: ['access', 'sudo', 'partial'],
  sudoToken: ['sudo', 'access'],
  sudoOrAccessWithout2fa: ['sudo', 'access'],
};

export function bearerToken(header: string | undefined): string | undefined {
  if (!header || !header.trim()) return undefined;
  // "Bearer" alone is an empty bearer; "Bearer<token>" without a separator is not a bearer header.
  const match = /^Bearer(?:[ \t]+(.*))?$/i.exec(header.trim());
  if (!match) throw tokenErrors('INVALID_TOKEN');
  return match[1]?.trim() || undefined;
}

/**
 * The refresh cookie, taken only when no Authorization header is sent. A browser attaches it to
 * any request to the service, also one a foreign page starts (CSRF), so it counts only with an
 * allowed `Origin` (403 ORIGIN_NOT_ALLOWED otherwise; SameSite alone is not relied on).
 */
function refreshCookieToken(deps: Pick<Deps, 'config' | 'mail'>, presented: PresentedCredentials): string | undefined {
  if (presented.authorization !== undefined) return undefined;
  const token = readRefreshCookie(presented.cookie);
  if (token && !isAllowedOrigin(deps, presented.origin)) throw tokenErrors('ORIGIN_NOT_ALLOWED');
  return token;
}

/**
 * Where a JWT's online check runs: `here`, in one statement (the user row and the session), or in
 * the operation's own first statement, which must then refuse the caller unless the user exists,
 * is not disabled and still has the token's password change time: `inOperation` folds in the user
 * row (the session, if any, is still checked here), `allInOperation` the session too (GET
 * /user/2fa). Refresh tokens and the 2FA-dependent policy always check here.
 */
export type UserRowCheck = 'here' | 'inOperation' | 'allInOperation';

export async function authenticate(
  deps: Pick<Deps, 'db' | 'clock' | 'keys' | 'config' | 'mail' | 'log'>,
  policy: TokenPolicy,
  presented: PresentedCredentials,
  userRowCheck: UserRowCheck = 'here',
): Promise<AuthContext> {
  const bearer = bearerToken(presented.authorization);
  if (policy === 'refreshToken') {
    const cookieToken = bearer ? undefined : refreshCookieToken(deps, presented);
    const token = bearer ?? cookieToken;
    if (!token) throw tokenErrors('NO_TOKEN_PROVIDED');
    const refreshTokenHash = hashRefreshToken(token);
    const live = await findLiveRefreshToken(deps.db, refreshTokenHash, new Date(deps.clock.now()));
    if (!live) {
      await detectRefreshTokenReuse(deps, refreshTokenHash);
      throw tokenErrors('INVALID_TOKEN');
    }
    return { userId: live.userId, kind: 'refresh', refreshTokenHash, passwordChangedAt: live.passwordChangedAt, sessionId: live.sessionId, viaCookie: cookieToken !== undefined };
  }

  const token = bearer;
  if (!token) throw tokenErrors('NO_TOKEN_PROVIDED');

  const claims = await verifyJwtOffLoop(deps.keys, deps.clock, token);
  if (!claims || !ACCEPTED_JWT_KINDS[policy].includes(claims.kind)) throw tokenErrors('INVALID_TOKEN');
  // Access and sudo tokens live only as long as their session (a partial token precedes one). A
  // deleted or disabled user, or a password changed since issue, voids any token.
  const sessionId = claims.kind === 'partial' ? undefined : claims.sessionId;
  if (claims.kind !== 'partial' && !sessionId) throw tokenErrors('INVALID_TOKEN');
  const now = new Date(deps.clock.now());
  if (userRowCheck === 'here' || policy === 'sudoOrAccessWithout2fa') {
    const subject = await findTokenSubject(deps.db, { userId: claims.userId, sessionId, now });
    if (!subject || subject.disabledAt || subject.passwordChangedAt.getTime() !== claims.passwordChangedAt) throw tokenErrors('INVALID_TOKEN');
    if (sessionId && !subject.sessionLive) throw tokenErrors('INVALID_TOKEN');
  } else if (sessionId && userRowCheck === 'inOperation' && !(await isSessionLive(deps.db, sessionId, claims.userId, now))) {
    throw tokenErrors('INVALID_TOKEN');
  }

  if (claims.kind === 'access') {
    if (policy === 'sudoToken') throw tokenErrors('SUDO_TOKEN_REQUIRED');
    if (policy === 'sudoOrAccessWithout2fa' && (await hasTwoFactorEnabled(deps.db, claims.userId))) throw tokenErrors('SUDO_TOKEN_REQUIRED');
  }
  return { userId: claims.userId, kind: claims.kind, passwordChangedAt: claims.passwordChangedAt, sessionId: claims.sessionId };
}
