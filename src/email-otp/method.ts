import type { SecondFactor } from '../two-factor/second-factor.js';

/** Email OTP in the second-factor registry: the enabled address, or the pending one while only set up. */
export const emailOtpMethod: SecondFactor<'emailOtp'> = {
  activeSql: 'exists (select 1 from email_otp_factors where user_id = ? and completed_at is not null)',
  statusKey: 'emailOtp',
  statusSql: "(select json_build_object('email', email, 'completedAt', completed_at, 'pendingEmail', pending_email) from email_otp_factors where user_id = u.id)",
  toStatus(raw: { email: string | null; completedAt: string | null; pendingEmail: string | null } | null) {
    if (raw?.completedAt && raw.email) return { email: raw.email, completedAt: new Date(raw.completedAt).toISOString() };
    return raw?.pendingEmail ? { email: raw.pendingEmail, completedAt: null } : null;
  },
};
