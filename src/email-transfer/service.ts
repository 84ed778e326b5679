import type { Deps } from '../deps.js';
import { withTx } from '../db/tx.js';
import { recordSecurityEvent } from '../security-events/record.js';
import { assertMailDomainAllowed, enqueueMail, prepareMail, type MailChoice } from '../mail/index.js';
import { checkCode } from '../one-time-codes/codes.js';
import { mailCode } from '../one-time-codes/mail-code.js';
import { tokenErrors } from '../tokens/errors.js';
import { normalizeEmail } from '../users/email.js';
import { findUserByEmail, findUserById } from '../users/queries.js';
import { emailTransferErrors } from './errors.js';
import { isEmailTaken, lockUserEmail, takeTransfer, updateUserEmail, upsertTransfer } from './queries.js';

const PURPOSE = 'email_transfer';

/**
 * The notice to the old address. PUT /user/email has no origin/language: the notice uses the
 * ones the initiating call gave (kept in email_transfers), so it comes from the same brand.
 */
function prepareNotice(deps: Deps, oldEmail: string, newEmail: string, choice: MailChoice) {
  return prepareMail(deps, { kind: 'email_changed_notice', to: oldEmail, origin: choice.origin, language: choice.language, variables: { email: newEmail } });
}

/**
 * POST /user/email/initiate: a code to the new address (which waits on the code row as its
 * target). 403 blocklist, then the 60 s slot per user (429), then 409 when the address is taken.
 * The slot is claimed before the address is looked at and stays claimed for a taken address
 * (that transaction commits, the 409 comes after it): otherwise any account could test
 * addresses for existence at full speed.
 */
export async function initiatePutEmail(deps: Deps, userId: string, email: string, choice: MailChoice): Promise<void> {
  const newEmail = normalizeEmail(email);
  assertMailDomainAllowed(deps, newEmail);
  const user = await findUserById(deps.db, userId);
  if (!user) throw tokenErrors('INVALID_TOKEN');
  // Rendered before anything is written (500 for a missing template). A transfer that could not
  // tell the old address must not start either, so the notice's template is checked now too.
  prepareNotice(deps, user.email, newEmail, choice);
  const started = await withTx(deps.db, async (trx) => {
    const mailed = await mailCode(trx, deps, {
      purpose: PURPOSE,
      kind: 'email_transfer_code',
      to: newEmail,
      choice,
      userId,
      content: (code) => ({ variables: { code, email: newEmail } }),
      tooMany: (retryAfter) => emailTransferErrors('TOO_MANY_TRANSFER_ATTEMPTS', { retryAfter }),
      // A taken address keeps the claimed slot (committed), and is answered 409 after: the 60 s
      // limit applies to every call, so nobody can test addresses for accounts at full speed.
      proceed: async (trx) => !(await findUserByEmail(trx, newEmail)),
    });
    if (mailed) await upsertTransfer(trx, userId, choice, new Date(deps.clock.now()));
    return mailed;
  });
  if (!started) throw emailTransferErrors('NEW_EMAIL_ALREADY_IN_USE');
}

/**
 * PUT /user/email: the code makes its target the account's email, in one transaction with the
 * notice to the old address. An address taken meanwhile trips the unique index → 409, and
 * everything (the code's use included) rolls back.
 */
export async function putEmail(deps: Deps, userId: string, otp: string): Promise<void> {
  let changed: boolean;
  try {
    changed = await withTx(deps.db, async (trx) => {
      const oldEmail = await lockUserEmail(trx, userId);
      if (!oldEmail) throw tokenErrors('INVALID_TOKEN');
      const check = await checkCode(trx, deps, { userId, purpose: PURPOSE, code: otp, consume: true });
      // A wrong guess is counted: commit it, answer 401 after the transaction.
      if (!check.valid || !check.targetEmail) return false;
      const notice = prepareNotice(deps, oldEmail, check.targetEmail, await takeTransfer(trx, userId));
      await updateUserEmail(trx, userId, check.targetEmail);
      await recordSecurityEvent(trx, deps, { userId, type: 'email_changed' });
      await enqueueMail(trx, deps, notice);
      return true;
    });
  } catch (err) {
    if (isEmailTaken(err)) throw emailTransferErrors('NEW_EMAIL_ALREADY_IN_USE');
    throw err;
  }
  if (!changed) throw emailTransferErrors('OTP_INVALID_EXPIRED');
}
