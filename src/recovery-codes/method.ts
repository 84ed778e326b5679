import type { SecondFactor } from '../two-factor/second-factor.js';
import { deleteRecoveryCodes } from './codes.js';

/** Recovery codes in the second-factor registry: they stand in for a factor, and go when 2FA turns off. */
export const recoveryCodeMethod: SecondFactor<'recoveryCodes'> = {
  activeSql: 'exists (select 1 from recovery_codes where user_id = ? and used_at is null)',
  standsIn: true,
  statusKey: 'recoveryCodes',
  statusSql:
    "(select json_build_object('total', count(*), 'remaining', count(*) filter (where used_at is null), 'createdAt', max(created_at)) from recovery_codes where user_id = u.id)",
  toStatus(raw: { total: number; remaining: number; createdAt: string | null }) {
    return raw.total > 0 && raw.createdAt ? { completedAt: new Date(raw.createdAt).toISOString(), remaining: raw.remaining } : null;
  },
  guessFactor: 'recovery_code',
  onTwoFactorOff: deleteRecoveryCodes,
};
