import type { Deps } from '../deps.js';
import type { Tx } from '../db/knex.js';
import { withTx } from '../db/tx.js';
import { recordAndNotify } from '../security-events/notices.js';
import { assertMailDomainAllowed, type MailChoice, type MailKind } from '../mail/index.js';
import { checkCode } from '../one-time-codes/codes.js';
import type { CodePurpose } from '../one-time-codes/constants.js';
import { mailCode as mailOneTimeCode } from '../one-time-codes/mail-code.js';
import { deleteCode } from '../one-time-codes/queries.js';
import { mailSlotWait } from '../one-time-codes/throttle.js';
import { issueSessionTokens, type Caller } from '../tokens/service.js';
import type { TokenKind } from '../tokens/constants.js';
import { tokenErrors } from '../tokens/errors.js';
import { afterMethodRemoved, lockForMethodRemoval, recheckAccessWithout2fa, recoveryCodesForNewMethod } from '../two-factor/methods.js';
import { normalizeEmail } from '../users/email.js';
import { emailOtpErrors } from './errors.js';
import { activateEmailOtp, deleteEmailOtpFactor, findEmailOtpFactor, findEmailOtpFactorForCaller, lockEmailOtpFactor, upsertPendingEmail, type EmailOtpFactor } from './queries.js';

/** Setup codes confirm an address; challenge codes prove the active one. Each has its own code and its own 60 s slot. */
type EmailOtpPurpose = Extract<CodePurpose, 'email_otp_setup' | 'email_otp_challenge'>;

interface CodeTarget {
  purpose: EmailOtpPurpose;
  kind: MailKind;
  to: string;
}

/**
 * Where the next code of a challenge goes. Enabled: a challenge code to the active address.
 * Set up but not yet enabled: the challenge resends the setup code (a fresh one, same purpose,
 * failure count kept) to the pending address, the only code that can be used then (enable).
 */
function challengeTarget(factor: EmailOtpFactor | undefined): CodeTarget {
  if (factor?.completedAt && factor.email) return { purpose: 'email_otp_challenge', kind: 'email_otp_challenge', to: factor.email };
  if (factor?.pendingEmail) return { purpose: 'email_otp_setup', kind: 'email_otp_setup', to: factor.pendingEmail };
  throw emailOtpErrors('EMAIL_OTP_UNINITIALIZED');
}

/** A code mail to the target, in the caller's transaction (src/one-time-codes/mail-code.ts). */
function mailCode(trx: Tx, deps: Deps, userId: string, target: CodeTarget, choice: MailChoice): Promise<boolean> {
  return mailOneTimeCode(trx, deps, {
    ...target,
    choice,
    userId,
    content: (code) => ({ variables: { code, email: target.to } }),
    tooMany: (retryAfter) => emailOtpErrors('TOO_MANY_OTP_EMAILS', { retryAfter }),
  });
}

/** POST /user/2fa/email-otp/setup: a setup code to `email`, which waits as pending_email; an active address keeps working. */
export async function initiateEmailOtp(deps: Deps, caller: { userId: string; kind: TokenKind }, email: string, choice: MailChoice): Promise<void> {
  const { userId } = caller;
  const address = normalizeEmail(email);
  assertMailDomainAllowed(deps, address);
  await withTx(deps.db, async (trx) => {
    // Factor row first, then code row: the order enable and remove take them in (no deadlock).
    await lockEmailOtpFactor(trx, userId);
    await recheckAccessWithout2fa(trx, caller);
    await mailCode(trx, deps, userId, { purpose: 'email_otp_setup', kind: 'email_otp_setup', to: address }, choice);
    await upsertPendingEmail(trx, userId, address, new Date(deps.clock.now()));
  });
}

/**
 * POST /user/2fa/email-otp/enable: the setup code makes its address the active one, in one
 * transaction with the first-method rule (10 recovery codes for the first method, [] after).
 */
export async function completeEmailOtp(deps: Deps, userId: string, otp: string): Promise<string[]> {
  const recoveryCodes = await withTx(deps.db, async (trx) => {
    const factor = await lockEmailOtpFactor(trx, userId);
    if (!factor?.pendingEmail) throw emailOtpErrors('EMAIL_OTP_UNINITIALIZED');
    const check = await checkCode(trx, deps, { userId, purpose: 'email_otp_setup', code: otp, consume: true });
    // A wrong guess is counted: commit it, answer 401 after the transaction.
    if (!check.valid) return undefined;
    const codes = await recoveryCodesForNewMethod(trx, deps, userId);
    await activateEmailOtp(trx, userId, check.targetEmail ?? factor.pendingEmail, new Date(deps.clock.now()));
    await recordAndNotify(trx, deps, { userId, type: 'method_enabled', detail: { method: 'emailOtp' } });
    // Challenge codes sent to a previous address die with it.
    await deleteCode(trx, userId, 'email_otp_challenge');
    return codes;
  });
  if (!recoveryCodes) throw emailOtpErrors('OTP_INVALID_EXPIRED');
  return recoveryCodes;
}

/** POST /user/2fa/email-otp/challenge: see challengeTarget for where the code goes. */
export async function initiateEmailOtpAuthentication(deps: Deps, userId: string, choice: MailChoice): Promise<void> {
  await withTx(deps.db, async (trx) => {
    const target = challengeTarget(await lockEmailOtpFactor(trx, userId));
    await mailCode(trx, deps, userId, target, choice);
  });
}

/**
 * POST /user/2fa/email-otp/authenticate: a challenge code earns a new session, in the transaction
 * that uses the code up. Round trips, 7 in all, each row read once: BEGIN; the factor with the
 * token's user-row check (verifyEmailOtpAuthentication is in USER_ROW_CHECKED_IN_OPERATION); the
 * code's counter lock (one upsert) and the code row lock, in the order every code check takes
 * them; the code deleted (single use); the session statement (issueSessionTokens: the user row
 * FOR SHARE, the session with its refresh token, the sign-in's event); COMMIT.
 */
export async function verifyEmailOtpAuthentication(deps: Deps, caller: Caller, otp: string) {
  const { userId } = caller;
  const tokens = await withTx(deps.db, async (trx) => {
    const found = await findEmailOtpFactorForCaller(trx, userId, caller.passwordChangedAt);
    if (!found) throw tokenErrors('INVALID_TOKEN');
    const { factor } = found;
    // Contract: set up but not enabled → EMAIL_OTP_INACTIVE; this operation has no other 409, so never set up answers the same.
    if (!factor?.completedAt) throw emailOtpErrors('EMAIL_OTP_INACTIVE');
    const check = await checkCode(trx, deps, { userId, purpose: 'email_otp_challenge', code: otp, consume: true });
    if (!check.valid) return undefined;
    return issueSessionTokens(trx, deps, caller, 'emailOtp');
  });
  if (!tokens) throw emailOtpErrors('OTP_INVALID_EXPIRED');
  return tokens;
}

/** GET /user/2fa/email-otp/next-email: the wait before the challenge call may mail again (the slot it would use). */
export async function newEmailOtpWaitDuration(deps: Deps, userId: string): Promise<number> {
  const target = challengeTarget(await findEmailOtpFactor(deps.db, userId));
  return mailSlotWait(deps.db, deps, target.purpose, userId);
}

/** DELETE /user/2fa/email-otp: the factor, any pending setup and its codes go; the last method takes 2FA with it. */
export async function removeEmailOtp(deps: Deps, userId: string): Promise<void> {
  await withTx(deps.db, async (trx) => {
    await lockForMethodRemoval(trx, userId);
    const factor = await lockEmailOtpFactor(trx, userId);
    if (!factor?.completedAt) throw emailOtpErrors('EMAIL_OTP_ALREADY_INACTIVE');
    await deleteEmailOtpFactor(trx, userId);
    await deleteCode(trx, userId, 'email_otp_setup');
    await deleteCode(trx, userId, 'email_otp_challenge');
    await afterMethodRemoved(trx, userId);
    await recordAndNotify(trx, deps, { userId, type: 'method_removed', detail: { method: 'emailOtp' } });
  });
}
