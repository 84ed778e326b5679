import type { SecondFactor } from '../two-factor/second-factor.js';
import { findEmailOtpFactor } from './queries.js';

/** Email OTP in the second-factor registry: the enabled address, or the pending one while only set up. */
export const emailOtpMethod: SecondFactor<'emailOtp'> = {
  activeSql: 'exists (select 1 from email_otp_factors where user_id = ? and completed_at is not null)',
  statusKey: 'emailOtp',
  async status(db, userId) {
    const factor = await findEmailOtpFactor(db, userId);
    if (factor?.completedAt && factor.email) return { email: factor.email, completedAt: factor.completedAt.toISOString() };
    return factor?.pendingEmail ? { email: factor.pendingEmail, completedAt: null } : null;
  },
};
