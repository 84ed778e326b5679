import type { Deps } from '../deps.js';
import type { Db, Tx } from '../db/knex.js';
import { withTx } from '../db/tx.js';
import { hmacSha256 } from '../crypto/hash.js';
import { burnPasswordCheck, verifyPassword } from '../crypto/password.js';
import { refuseEarlyGuess, settleHashedGuess } from '../backoff/guard.js';
import type { HashPermit } from '../crypto/hash-limiter.js';
import { normalizeEmail } from '../users/email.js';
import { activeMethodsOf } from '../two-factor/queries.js';
import type { SessionMethod } from '../../generated/types.gen.js';
import { continueSession, startGatedSession, startSession } from '../sessions/service.js';
import { endUserSessions } from '../sessions/end.js';
import type { JwtKind } from './constants.js';
import { signJwt, signJwtOffLoop } from './jwt.js';
import { callerRowGate, revokeRefreshToken } from './queries.js';
import { hashRefreshToken } from './refresh-token.js';
import { claimLogin, passwordLoginGate, type LoginGated } from './login-queries.js';
import { loginErrors, tokenErrors } from './errors.js';

type TokenDeps = Pick<Deps, 'db' | 'clock' | 'keys' | 'config' | 'mail' | 'log'>;

/** Who asks for tokens: the user and the password change time their token was checked against. */
export interface Caller {
  userId: string;
  passwordChangedAt: number;
  /** The session of the caller's token (refresh, access, sudo); a partial token has none. */
  sessionId?: string;
}

export { hashRefreshToken };

/** A new login for the caller: a session made by `method` and its first refresh token. */
export async function issueRefreshToken(db: Db | Tx, deps: Pick<Deps, 'clock' | 'config' | 'mail' | 'log'>, caller: Caller, method: SessionMethod): Promise<string> {
  return (await startSession(db, deps, caller, method)).refreshToken;
}

/** The claims of a JWT for a caller whose token was just checked: it carries the password change time of that check. */
const callerClaims = (caller: Caller, kind: JwtKind) => ({ userId: caller.userId, kind, passwordChangedAt: caller.passwordChangedAt, sessionId: caller.sessionId });

/** A JWT of `kind` for a caller whose token was just checked, signed on libuv's thread pool (jwt.ts). */
export function issueJwtOffLoop(deps: Pick<Deps, 'keys' | 'clock'>, caller: Caller, kind: JwtKind): Promise<string> {
  return signJwtOffLoop(deps.keys, deps.clock, callerClaims(caller, kind));
}

/**
 * What every passed second factor earns: a refresh token, an access token and a sudo token, all of
 * one session: a new one made by `method` after a partial token, the caller's own continued after
 * an access or sudo token (a step-up stays one session).
 * The user row is read FOR SHARE and must still carry the caller's password change time: a
 * password change committing meanwhile either waits for this transaction (and then revokes the
 * new refresh token) or has already voided the caller's token (401 INVALID_TOKEN).
 */
export async function issueSessionTokens(trx: Tx, deps: TokenDeps, caller: Caller, method: SessionMethod) {
  let sessionId: string;
  let refreshToken: string;
  if (caller.sessionId) {
    const row = await trx('users').where({ id: caller.userId }).forShare().first('password_changed_at');
    if (!row || row.password_changed_at.getTime() !== caller.passwordChangedAt) throw tokenErrors('INVALID_TOKEN');
    sessionId = caller.sessionId;
    refreshToken = await continueSession(trx, deps, { ...caller, sessionId });
  } else {
    // The FOR SHARE read folded into the session's own statement (one round trip fewer).
    const { started } = await startGatedSession(trx, deps, caller, method, callerRowGate(caller));
    if (!started) throw tokenErrors('INVALID_TOKEN');
    ({ sessionId, refreshToken } = started);
  }
  return sessionTokens(deps, caller, { sessionId, refreshToken });
}

/**
 * The token set of a session just started or continued for the caller: its refresh token, and an
 * access and a sudo token of it, signed on the event loop: two Ed25519 signatures, ~70 µs; two hops
 * to libuv's pool for them made the TOTP login's bench row ~5 % slower (2026-12-04).
 */
export function sessionTokens(deps: Pick<Deps, 'keys' | 'clock'>, caller: Caller, session: { sessionId: string; refreshToken: string }) {
  const claims = { userId: caller.userId, passwordChangedAt: caller.passwordChangedAt, sessionId: session.sessionId };
  const accessToken = signJwt(deps.keys, deps.clock, { ...claims, kind: 'access' });
  const sudoToken = signJwt(deps.keys, deps.clock, { ...claims, kind: 'sudo' });
  return { accessToken, refreshToken: session.refreshToken, sudoToken };
}

/** For a guess whose counter lock also checks the caller's token (guardGuess `caller`): a void token is 401 INVALID_TOKEN. */
export function tokenCheckOf(caller: Caller) {
  return { passwordChangedAt: caller.passwordChangedAt, invalid: () => tokenErrors('INVALID_TOKEN') };
}

/** The counter key of a login name with no account: an HMAC, so the table holds no addresses. */
function unknownLoginKey(deps: Pick<Deps, 'config'>, username: string): string {
  return hmacSha256(deps.config.codeHashKey, 'unknown-login', normalizeEmail(username)).toString('base64url');
}

/**
 * Password login. Unknown accounts cost one argon2 verification too, and answer exactly like a
 * wrong password. With 2FA on, a partial token is handed out instead of a refresh token.
 * Every hash runs through `hashing` (admitted before this ran) and outside any transaction.
 *
 * Round trips, each a statement that commits on its own: a right password makes two (claimLogin;
 * then the counter reset, the 2FA check, the session, its refresh token and event in one, see
 * passwordLoginGate), plus one transaction on a device the account has not used lately
 * (startGatedSession). A wrong password or an unknown name makes claimLogin and one or two writes.
 */
export async function login(deps: TokenDeps, hashing: HashPermit, username: string, password: string): Promise<string> {
  const now = deps.clock.now();
  const unknownLogin = unknownLoginKey(deps, username);
  const { user, claimed } = await claimLogin(deps.db, { email: normalizeEmail(username), unknownLogin, now: new Date(now) });
  const claim = { failures: claimed, at: now };
  const tooMany = (retryAfter: number) => loginErrors('TOO_MANY_FAILED_PASSWORD_CHECKS', { retryAfter });
  if (!user) {
    // The same statements as a wrong password (claim with backoff, one argon2id verification,
    // the failure already counted), so neither the answer nor its timing tells.
    await settleHashedGuess(deps.db, deps, { unknownLogin, tooMany }, claim, async () => {
      await hashing.run(() => burnPasswordCheck(password));
      return false;
    });
    throw loginErrors('PASSWORD_INCORRECT');
  }
  const guess = { userId: user.id, factor: 'password' as const, tooMany };
  const passwordHash = user.passwordHash;
  if (passwordHash === null) {
    // Nothing to check (and nothing was claimed): an early guess still gets its 429.
    await refuseEarlyGuess(deps.db, deps.clock, guess);
    throw loginErrors('NO_PASSWORD_INFO');
  }
  // A right password's reset is folded into the session statement below.
  const passed = await settleHashedGuess(deps.db, deps, guess, claim, () => hashing.run(() => verifyPassword(passwordHash, password)), {
    resetOnPass: Boolean(user.disabledAt),
  });
  if (!passed) throw loginErrors('PASSWORD_INCORRECT');
  // A disabled account answers like a wrong password, after the same check.
  if (user.disabledAt) throw loginErrors('PASSWORD_INCORRECT');

  const caller = { userId: user.id, passwordChangedAt: user.passwordChangedAt.getTime() };
  const { started, gated } = await startGatedSession<LoginGated>(deps.db, deps, caller, 'password', passwordLoginGate(user.id));
  if (started) return started.refreshToken;
  const partialToken = signJwt(deps.keys, deps.clock, { ...caller, kind: 'partial' });
  throw loginErrors('2FA_REQUIRED', { partialToken, methods: activeMethodsOf(gated) });
}

/** Single use: of two concurrent rotations of one token, one gets a new token and one gets 401. */
export async function rotateRefreshToken(deps: TokenDeps, refreshTokenHash: Buffer): Promise<string> {
  return withTx(deps.db, async (trx) => {
    const revoked = await revokeRefreshToken(trx, refreshTokenHash, new Date(deps.clock.now()), 'rotated');
    if (!revoked) throw tokenErrors('INVALID_TOKEN');
    return continueSession(trx, deps, revoked);
  });
}

/** Logout ends the token's session. */
export async function logout(deps: TokenDeps, refreshTokenHash: Buffer): Promise<void> {
  await withTx(deps.db, async (trx) => {
    const revoked = await revokeRefreshToken(trx, refreshTokenHash, new Date(deps.clock.now()));
    if (!revoked) throw tokenErrors('INVALID_TOKEN');
    await endUserSessions(trx, deps, { userId: revoked.userId, which: { only: revoked.sessionId }, reason: 'logout' });
  });
}
