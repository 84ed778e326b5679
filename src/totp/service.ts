import type { Deps } from '../deps.js';
import type { Tx } from '../db/knex.js';
import { withTx } from '../db/tx.js';
import { recordAndNotify } from '../security-events/notices.js';
import { decryptSecret, encryptSecret } from '../crypto/aead.js';
import { countFailedGuess, guardGuess, guessWaitSeconds, refusedClaim } from '../backoff/guard.js';
import { nextGuessAt } from '../backoff/constants.js';
import { secondsUntil } from '../http/errors.js';
import { startGatedSession } from '../sessions/service.js';
import { issueSessionTokens, sessionTokens, tokenCheckOf, type Caller } from '../tokens/service.js';
import { tokenErrors } from '../tokens/errors.js';
import type { TokenKind } from '../tokens/constants.js';
import { afterMethodRemoved, lockForMethodRemoval, recheckAccessWithout2fa, recoveryCodesForNewMethod } from '../two-factor/methods.js';
import { findUserById } from '../users/queries.js';
import { totpErrors } from './errors.js';
import { generateTotpSecret, matchTotpStep, otpauthUrl, UnusableTotpSecretError } from './otp.js';
import {
  activatePendingTotp, claimTotpStep, deactivateTotp, findTotpFactor, findTotpLoginState, lockTotpFactor, totpLoginGate, upsertPendingTotp, type TotpLoginGated,
} from './queries.js';

type TotpDeps = Pick<Deps, 'db' | 'clock' | 'config' | 'keys' | 'log' | 'mail'>;

/** Associated data for the sealed secret: a ciphertext copied to another user's row does not open. */
const secretContext = (userId: string) => `totp_factors:${userId}`;

const tooManyChecks = (retryAfter: number) => totpErrors('TOO_MANY_TOTP_CHECKS', { retryAfter });

/** Opens a stored secret; a value that does not open is logged (never the value) and answered 500 TOTP_CORRUPT. */
function openSecret(deps: TotpDeps, userId: string, sealed: string, which: 'active' | 'pending'): string {
  try {
    return decryptSecret(deps.config.totpEncryptionKeys, sealed, secretContext(userId));
  } catch (err) {
    deps.log.error({ userId, which, reason: (err as Error).message }, 'TOTP secret cannot be decrypted');
    throw totpErrors('TOTP_CORRUPT');
  }
}

/** The step `code` matches for this secret, or undefined; a secret that decrypts but is unusable is corrupt too. */
async function matchStep(deps: TotpDeps, userId: string, secret: string, code: string, which: 'active' | 'pending'): Promise<number | undefined> {
  try {
    return await matchTotpStep(secret, code, deps.clock);
  } catch (err) {
    if (!(err instanceof UnusableTotpSecretError)) throw err;
    deps.log.error({ userId, which, reason: err.message }, 'TOTP secret is unusable');
    throw totpErrors('TOTP_CORRUPT');
  }
}

/** Creates a new pending secret (an active one keeps working until the new one is enabled); returns its otpauth URL. */
export async function setupTotp(deps: TotpDeps, caller: { userId: string; kind: TokenKind }): Promise<string> {
  const { userId } = caller;
  const user = await findUserById(deps.db, userId);
  if (!user) throw tokenErrors('INVALID_TOKEN');
  const secret = generateTotpSecret();
  const sealed = encryptSecret(deps.config.totpEncryptionKeys, secret, secretContext(userId));
  await withTx(deps.db, async (trx) => {
    // Factor row, then the user row (in the re-check): the order enable takes them in.
    await lockTotpFactor(trx, userId);
    await recheckAccessWithout2fa(trx, caller);
    await upsertPendingTotp(trx, userId, sealed, new Date(deps.clock.now()));
  });
  return otpauthUrl(deps.config.totpIssuer, user.email, secret);
}

/**
 * Enables the pending secret with a code from it. The accepted step is claimed (so the same code
 * cannot then be replayed on authenticate), the first-method rule runs, and the pending secret
 * replaces the active one: all in the guess's transaction. Returns the new recovery codes ([] if
 * another method was already on).
 */
export async function enableTotp(deps: TotpDeps, userId: string, code: string): Promise<string[]> {
  const loadPending = async (trx: Tx) => {
    const factor = await lockTotpFactor(trx, userId);
    if (!factor?.pendingSecretEnc) throw totpErrors('TOTP_UNINITIALIZED');
    return factor.pendingSecretEnc;
  };
  const recoveryCodes = await guardGuess(deps.db, deps, { userId, factor: 'totp', tooMany: tooManyChecks, load: loadPending }, async (trx, sealed) => {
    const secret = openSecret(deps, userId, sealed, 'pending');
    const step = await matchStep(deps, userId, secret, code, 'pending');
    if (step === undefined || !(await claimTotpStep(trx, userId, step))) return undefined;
    const codes = await recoveryCodesForNewMethod(trx, deps, userId);
    await activatePendingTotp(trx, userId, new Date(deps.clock.now()));
    await recordAndNotify(trx, deps, { userId, type: 'method_enabled', detail: { method: 'totp' } });
    return codes;
  });
  if (!recoveryCodes) throw totpErrors('TOTP_INVALID');
  return recoveryCodes;
}

/**
 * Login second factor or step-up: a right, unused code earns access, refresh and sudo tokens.
 * At login (a partial token) two statements and no transaction (loginWithTotp); a step-up
 * continues the caller's session in one transaction (stepUpWithTotp).
 */
export function authenticateTotp(deps: TotpDeps, caller: Caller, code: string) {
  return caller.sessionId ? stepUpWithTotp(deps, caller, code) : loginWithTotp(deps, caller, code);
}

/**
 * The TOTP step of a login, the busiest second factor: a right code makes 2 statements, both
 * prepared, with nothing held between them. 1: the token's user row, the factor and the counter,
 * read (findTotpLoginState; 401, 409 and an early guess's 429 come from it, in the order the
 * contract gives). Then the code is checked against the secret, no lock or connection held.
 * 2: the session statement (TOTP_LOGIN_GATE in src/totp/queries.ts), which decides again on the
 * rows as they are then: the counter still allows the guess, the step is still unused and the
 * factor still on with that secret (so the code is single use, and a removal or a new secret
 * meanwhile makes it fail), the user row FOR SHARE still carries the token's password change
 * time; then the counter resets and the session, its refresh token, the device's sighting and the
 * event are written. A device the account has not used lately takes one transaction more
 * (startSession). A wrong code is counted afterwards (countFailedGuess: its claim and event);
 * so is a right one whose step was claimed meanwhile (a replay).
 */
async function loginWithTotp(deps: TotpDeps, caller: Caller, code: string) {
  const { userId } = caller;
  const state = await findTotpLoginState(deps.db, caller);
  if (!state.callerOk) throw tokenErrors('INVALID_TOKEN');
  const sealed = state.activeSecretEnc;
  if (!sealed) throw totpErrors('TOTP_UNINITIALIZED');
  const now = deps.clock.now();
  const wait = secondsUntil(nextGuessAt(state.counter.failures, state.counter.lastFailureAt), now);
  if (wait > 0) throw tooManyChecks(wait);
  const step = await matchStep(deps, userId, openSecret(deps, userId, sealed, 'active'), code, 'active');
  if (step !== undefined) {
    const gate = totpLoginGate({ userId, passwordChangedAt: caller.passwordChangedAt, sealed, step, now: new Date(now) });
    const { started, gated } = await startGatedSession<TotpLoginGated>(deps.db, deps, caller, 'totp', gate);
    if (started) return sessionTokens(deps, caller, started);
    // The counter went into its wait since the read (concurrent failures): refused, not counted.
    if (!gated.guess_allowed) throw await refusedClaim(deps.db, { userId, factor: 'totp', tooMany: tooManyChecks }, now);
    // The step is claimed (the code is used up) but the token went void meanwhile.
    if (gated.step_claimed) throw tokenErrors('INVALID_TOKEN');
  }
  await countFailedGuess(deps.db, deps, { userId, factor: 'totp', tooMany: tooManyChecks });
  throw totpErrors('TOTP_INVALID');
}

/**
 * A step-up (access or sudo token): the guess under the counter lock, in one transaction with the
 * session's next refresh token. Round trips: BEGIN; the counter lock, which also does the token's
 * user-row check (verifyTotp is in USER_ROW_CHECKED_IN_OPERATION); the factor (read once); the
 * step claim (the guarded UPDATE that makes a code single use); the user row FOR SHARE, the
 * session's extension and its refresh token (issueSessionTokens); COMMIT.
 */
async function stepUpWithTotp(deps: TotpDeps, caller: Caller, code: string) {
  const { userId } = caller;
  const loadActive = async (trx: Tx) => {
    const factor = await findTotpFactor(trx, userId);
    if (!factor?.completedAt || !factor.secretEnc) throw totpErrors('TOTP_UNINITIALIZED');
    return factor.secretEnc;
  };
  const guess = { userId, factor: 'totp' as const, tooMany: tooManyChecks, load: loadActive, caller: tokenCheckOf(caller) };
  const tokens = await guardGuess(deps.db, deps, guess, async (trx, sealed) => {
    const secret = openSecret(deps, userId, sealed, 'active');
    const step = await matchStep(deps, userId, secret, code, 'active');
    // 0 rows from the guarded UPDATE = this step (or a later one) was already accepted: a replay.
    if (step === undefined || !(await claimTotpStep(trx, userId, step))) return undefined;
    return issueSessionTokens(trx, deps, caller, 'totp');
  });
  if (!tokens) throw totpErrors('TOTP_INVALID');
  return tokens;
}

/** Seconds until the next TOTP guess is evaluated. "Set up" = an active or a pending secret. */
export async function totpWaitSeconds(deps: TotpDeps, userId: string): Promise<number> {
  const factor = await findTotpFactor(deps.db, userId);
  if (!factor?.completedAt && !factor?.pendingSecretEnc) throw totpErrors('TOTP_UNINITIALIZED');
  return guessWaitSeconds(deps.db, deps.clock, userId, 'totp');
}

/** Turns TOTP off; the last method off takes the recovery codes with it (first-method rule). */
export async function removeTotp(deps: TotpDeps, userId: string): Promise<void> {
  await withTx(deps.db, async (trx) => {
    await lockForMethodRemoval(trx, userId);
    if (!(await deactivateTotp(trx, userId))) throw totpErrors('TOTP_ALREADY_INACTIVE');
    await afterMethodRemoved(trx, userId);
    await recordAndNotify(trx, deps, { userId, type: 'method_removed', detail: { method: 'totp' } });
  });
}
