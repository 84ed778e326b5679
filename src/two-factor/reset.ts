import type { Deps } from '../deps.js';
import { withTx } from '../db/tx.js';
import { deleteEmailOtpFactor, lockEmailOtpFactor } from '../email-otp/queries.js';
import { deleteCode } from '../one-time-codes/queries.js';
import { recordAndNotify } from '../security-events/notices.js';
import { endUserSessions } from '../sessions/end.js';
import { deactivateTotp } from '../totp/queries.js';
import { findUserByEmail } from '../users/queries.js';
import { deleteAllCredentials } from '../webauthn/queries.js';
import { afterMethodRemoved, lockForMethodRemoval } from './methods.js';

/**
 * The support desk's "I lost my phone" (npm run user:reset-2fa): every 2FA method and the
 * recovery codes go, every session ends, the event is recorded and the owner mailed, in one
 * transaction taking the removal locks in the order a single removal does. The next login needs
 * the password only. 'unchanged' when no method was active (nothing done).
 */
export async function resetTwoFactor(deps: Pick<Deps, 'db' | 'clock' | 'mail' | 'log'>, email: string): Promise<'changed' | 'unchanged' | 'no-account'> {
  const user = await findUserByEmail(deps.db, email);
  if (!user) return 'no-account';
  return withTx(deps.db, async (trx) => {
    await lockForMethodRemoval(trx, user.id);
    const totp = await deactivateTotp(trx, user.id);
    const emailOtp = (await lockEmailOtpFactor(trx, user.id))?.completedAt ? await deleteEmailOtpFactor(trx, user.id) : 0;
    await deleteCode(trx, user.id, 'email_otp_setup');
    await deleteCode(trx, user.id, 'email_otp_challenge');
    const passkeys = await deleteAllCredentials(trx, user.id);
    if (!totp && !emailOtp && !passkeys) return 'unchanged';
    await afterMethodRemoved(trx, user.id); // 2FA is off now: the recovery codes go
    await endUserSessions(trx, deps, { userId: user.id, which: 'all', reason: 'two_factor_reset' });
    await recordAndNotify(trx, deps, { userId: user.id, type: 'two_factor_reset' });
    return 'changed';
  });
}
