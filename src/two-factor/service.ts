import type { TwoFaStatus } from '../../generated/types.gen.js';
import type { Db, Tx } from '../db/knex.js';
import { summarizeRecoveryCodes } from '../recovery-codes/queries.js';
import { hasTwoFactorEnabled } from './queries.js';

const iso = (date: Date | null): string | null => (date ? date.toISOString() : null);

/**
 * The state of each method. A method with only a pending setup shows `completedAt: null`; a
 * method never set up or removed is `null`. Email OTP shows the enabled address, or the
 * pending one while it is only set up.
 */
export async function getTwoFaStatus(db: Db | Tx, userId: string): Promise<TwoFaStatus> {
  const [enabled, totp, emailOtp, codes] = await Promise.all([
    hasTwoFactorEnabled(db, userId),
    db('totp_factors').where({ user_id: userId }).first('completed_at', 'pending_secret_enc'),
    db('email_otp_factors').where({ user_id: userId }).first('email', 'completed_at', 'pending_email'),
    summarizeRecoveryCodes(db, userId),
  ]);
  const totpActive = Boolean(totp?.completed_at);
  const emailActive = Boolean(emailOtp?.completed_at && emailOtp.email);
  const emailAddress: string | null = emailActive ? emailOtp!.email : (emailOtp?.pending_email ?? null);
  return {
    enabled,
    emailOtp: emailAddress ? { email: emailAddress, completedAt: emailActive ? iso(emailOtp!.completed_at) : null } : null,
    totp: totpActive || totp?.pending_secret_enc ? { completedAt: totpActive ? iso(totp!.completed_at) : null } : null,
    recoveryCodes: codes.total > 0 && codes.createdAt ? { completedAt: codes.createdAt.toISOString(), remaining: codes.remaining } : null,
  };
}
