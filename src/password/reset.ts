import { hashPassword } from '../crypto/password.js';
import { withTx } from '../db/tx.js';
import { assertMailDomainAllowed, type MailRequest } from '../mail/index.js';
import { burnCodeCheck, checkCode, type CodeCheck } from '../one-time-codes/codes.js';
import { mailCode, type MailChoice } from '../one-time-codes/mail-code.js';
import { idleRoundTrip, lockCode } from '../one-time-codes/queries.js';
import { normalizeEmail } from '../users/email.js';
import { findUserByEmail, type UserRow } from '../users/queries.js';
import { RESET_LINK_PATH, RESET_PURPOSE } from './constants.js';
import { passwordErrors } from './errors.js';
import { applyPasswordChange, assertPasswordRule, prepareChangedNotice, type PasswordDeps } from './service.js';

/** Stands in for a user id when an unknown address must cost the same statements as a known one. */
const NO_USER_ID = '00000000-0000-0000-0000-000000000000';

export type ResetMailRequest = MailChoice & { email: string };

/**
 * POST /user/password/reset/send ('code') and POST /v1/auth/forgot-password ('link').
 *
 * Known and unknown addresses do the same work and get the same answer: the domain check, the
 * lookup, a code drawn and the mail rendered (so a missing template is a 500 for both, before
 * anything is stored), the 60 s slot claimed per address, then a transaction of the same shape:
 * for a known account the code is stored and the mail queued, for an unknown one two statements
 * that touch nothing run instead.
 */
export async function sendResetMail(deps: PasswordDeps, via: 'code' | 'link', request: ResetMailRequest): Promise<void> {
  const email = normalizeEmail(request.email);
  assertMailDomainAllowed(deps, email);
  const user = await findUserByEmail(deps.db, email);
  await withTx(deps.db, (trx) =>
    mailCode(trx, deps, {
      purpose: RESET_PURPOSE,
      kind: via === 'code' ? 'password_reset_code' : 'password_reset_link',
      // Bound to the address it was mailed to: after an email transfer it no longer opens the account.
      to: user?.email ?? email,
      choice: request,
      userId: user?.id ?? null,
      // Per address, known or not: the answer and the 60 s limit are the same for both.
      slotSubject: email,
      content: (code): Pick<MailRequest, 'variables' | 'links'> =>
        via === 'code' ? { variables: { code } } : { variables: {}, links: { reset: { path: RESET_LINK_PATH, query: { email, otp: code } } } },
      tooMany: (retryAfter) => passwordErrors('TOO_MANY_RESET_MAIL_ATTEMPTS', { retryAfter }),
    }),
  );
}

/** A right code that was mailed to the account's current address (not to one it has since left). */
function mailedToAccount(check: CodeCheck, user: UserRow): boolean {
  return check.valid && check.targetEmail === user.email;
}

/**
 * Checks a reset code in its own transaction and commits the outcome (a wrong try is counted
 * even though the caller answers 401 afterwards). An unknown address takes the same path: one
 * HMAC and a row-locking read that finds nothing, like a known account without a live code.
 */
async function checkResetCode(deps: PasswordDeps, user: UserRow | undefined, code: string, consume: boolean): Promise<boolean> {
  return withTx(deps.db, async (trx) => {
    if (!user) {
      burnCodeCheck(deps, code);
      await idleRoundTrip(trx); // where a known account locks its guess counter
      await lockCode(trx, NO_USER_ID, RESET_PURPOSE);
      return false;
    }
    return mailedToAccount(await checkCode(trx, deps, { userId: user.id, purpose: RESET_PURPOSE, code, consume }), user);
  });
}

/** POST /user/password/reset/validate: the code stays usable; any failure is 401 OTP_INVALID_EXPIRED. */
export async function validateResetCode(deps: PasswordDeps, email: string, code: string): Promise<void> {
  const user = await findUserByEmail(deps.db, email);
  if (!(await checkResetCode(deps, user, code, false))) throw passwordErrors('OTP_INVALID_EXPIRED');
}

/**
 * PUT /user/password/otp. The code is checked first without being spent (so wrong and unknown
 * cost the same and no argon2 runs for them); only then is the new password hashed, and the
 * change transaction consumes the code under its row lock: of two requests racing with one
 * code, exactly one changes the password, the other gets 401.
 */
export async function resetPassword(deps: PasswordDeps, email: string, code: string, newPassword: string): Promise<void> {
  assertPasswordRule(newPassword);
  const user = await findUserByEmail(deps.db, email);
  const valid = await checkResetCode(deps, user, code, false);
  if (!user || !valid) throw passwordErrors('OTP_INVALID_EXPIRED');

  const notice = prepareChangedNotice(deps, user.email);
  const passwordHash = await hashPassword(newPassword);
  const changed = await withTx(deps.db, async (trx) => {
    const check = await checkCode(trx, deps, { userId: user.id, purpose: RESET_PURPOSE, code, consume: true });
    return mailedToAccount(check, user) && (await applyPasswordChange(trx, deps, { userId: user.id, passwordHash, notice }));
  });
  if (!changed) throw passwordErrors('OTP_INVALID_EXPIRED');
}
