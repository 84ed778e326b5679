import { hmacSha256 } from '../crypto/hash.js';
import { hashPassword } from '../crypto/password.js';
import type { HashPermit } from '../crypto/hash-limiter.js';
import { withTx } from '../db/tx.js';
import { assertMailDomainAllowed, type MailChoice, type MailRequest } from '../mail/index.js';
import { checkCode, type CodeCheck } from '../one-time-codes/codes.js';
import { CODE_TTL_MS } from '../one-time-codes/constants.js';
import { mailCode } from '../one-time-codes/mail-code.js';
import { normalizeEmail } from '../users/email.js';
import { findUserByEmail, type UserRow } from '../users/queries.js';
import { RESET_LINK_PATH, RESET_PURPOSE } from './constants.js';
import { passwordErrors } from './errors.js';
import { findResetSecret, insertResetSecret } from './queries.js';
import { hashResetSecret, isResetSecret, newResetSecret } from './reset-secrets.js';
import { applyPasswordChange, assertPasswordRule, prepareChangedNotice, type PasswordDeps } from './service.js';

/** Stands in for a user id when an unknown address must cost the same work as a known one. */
const NO_USER_ID = '00000000-0000-0000-0000-000000000000';

export type ResetMailRequest = MailChoice & { email: string };

/**
 * POST /user/password/reset/send ('code') and POST /v1/auth/forgot-password ('link').
 *
 * Both mails carry a link with a long secret (reset-secrets.ts); the code mail also shows the
 * 6-digit code. Known and unknown addresses do the same work and get the same answer: the domain
 * check, the lookup, a code and a secret drawn and hashed, the mail rendered (so a missing
 * template is a 500 for both, before anything is stored), the 60 s slot claimed per address (a
 * write for both), then the same inserts of the code, the secret and the mail in a savepoint
 * (mailCode): kept for a known account, rolled back for an unknown one.
 */
export async function sendResetMail(deps: PasswordDeps, via: 'code' | 'link', request: ResetMailRequest): Promise<void> {
  const email = normalizeEmail(request.email);
  assertMailDomainAllowed(deps, email);
  const user = await findUserByEmail(deps.db, email);
  const secret = newResetSecret();
  const secretHash = hashResetSecret(deps, user?.id ?? NO_USER_ID, secret);
  const links: MailRequest['links'] = { reset: { path: RESET_LINK_PATH, query: { email, otp: secret } } };
  await withTx(deps.db, (trx) =>
    mailCode(trx, deps, {
      purpose: RESET_PURPOSE,
      kind: via === 'code' ? 'password_reset_code' : 'password_reset_link',
      // Bound to the address it was mailed to: after an email transfer it no longer opens the account.
      to: user?.email ?? email,
      choice: request,
      userId: user?.id ?? null,
      mayBeUnknown: true,
      // Per address, known or not: the answer and the 60 s limit are the same for both.
      slotSubject: email,
      content: (code): Pick<MailRequest, 'variables' | 'links'> => (via === 'code' ? { variables: { code }, links } : { variables: {}, links }),
      tooMany: (retryAfter) => passwordErrors('TOO_MANY_RESET_MAIL_ATTEMPTS', { retryAfter }),
      alsoStore: (trx, userId) => insertResetSecret(trx, { userId, secretHash, targetEmail: user?.email ?? email, expiresAt: new Date(deps.clock.now() + CODE_TTL_MS) }),
    }),
  );
}

/** A right code that was mailed to the account's current address (not to one it has since left). */
function mailedToAccount(check: CodeCheck, user: UserRow | undefined): boolean {
  return user !== undefined && check.valid && check.targetEmail === user.email;
}

/** The counter subject of an address without an account: an HMAC, so the table holds no addresses. */
function unknownResetKey(deps: PasswordDeps, email: string): string {
  return hmacSha256(deps.config.codeHashKey, 'unknown-reset', normalizeEmail(email)).toString('base64url');
}

/**
 * Checks an `otp` without spending it. A long secret: one read, the same for a known and an
 * unknown address. A 6-digit code: checked in its own transaction that commits the outcome (a
 * wrong try is counted even though the caller answers 401 afterwards); an unknown address runs
 * the very same statements against a counter of its own (under an HMAC of the address) and a
 * code row that cannot exist, so it commits the same write a known one does.
 */
async function checkResetOtp(deps: PasswordDeps, email: string, user: UserRow | undefined, otp: string): Promise<boolean> {
  if (isResetSecret(otp)) {
    const userId = user?.id ?? NO_USER_ID;
    const target = await findResetSecret(deps.db, userId, hashResetSecret(deps, userId, otp), new Date(deps.clock.now()));
    return user !== undefined && target === user.email;
  }
  const subject = user ? { userId: user.id } : { unknownKey: unknownResetKey(deps, email) };
  return withTx(deps.db, async (trx) => mailedToAccount(await checkCode(trx, deps, { ...subject, purpose: RESET_PURPOSE, code: otp, consume: false }), user));
}

/** POST /user/password/reset/validate: the code or secret stays usable; any failure is 401 OTP_INVALID_EXPIRED. */
export async function validateResetCode(deps: PasswordDeps, email: string, otp: string): Promise<void> {
  const user = await findUserByEmail(deps.db, email);
  if (!(await checkResetOtp(deps, email, user, otp))) throw passwordErrors('OTP_INVALID_EXPIRED');
}

/**
 * PUT /user/password/otp, with a 6-digit code or a long secret. It is checked first without
 * being spent (so wrong and unknown cost the same and no argon2 runs for them); only then is the
 * new password hashed, and the change transaction spends it under its row lock: of two requests
 * racing with one code or secret, exactly one changes the password, the other gets 401. The hash
 * runs through `hashing` with no connection held (between the check's transaction and the change's).
 */
export async function resetPassword(deps: PasswordDeps, hashing: HashPermit, email: string, otp: string, newPassword: string): Promise<void> {
  assertPasswordRule(newPassword);
  const user = await findUserByEmail(deps.db, email);
  const valid = await checkResetOtp(deps, email, user, otp);
  if (!user || !valid) throw passwordErrors('OTP_INVALID_EXPIRED');

  const notice = prepareChangedNotice(deps, user.email);
  const passwordHash = await hashing.run(() => hashPassword(newPassword));
  if (isResetSecret(otp)) {
    const resetSecret = { secretHash: hashResetSecret(deps, user.id, otp), targetEmail: user.email };
    await withTx(deps.db, async (trx) => {
      // Spent meanwhile (a racing request): throwing rolls the change back.
      if (!(await applyPasswordChange(trx, deps, { userId: user.id, passwordHash, notice, resetSecret }))) throw passwordErrors('OTP_INVALID_EXPIRED');
    });
    return;
  }
  const changed = await withTx(deps.db, async (trx) => {
    const check = await checkCode(trx, deps, { userId: user.id, purpose: RESET_PURPOSE, code: otp, consume: true });
    return mailedToAccount(check, user) && (await applyPasswordChange(trx, deps, { userId: user.id, passwordHash, notice }));
  });
  if (!changed) throw passwordErrors('OTP_INVALID_EXPIRED');
}
