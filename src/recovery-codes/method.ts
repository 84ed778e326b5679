import type { SecondFactor } from '../two-factor/second-factor.js';
import { deleteRecoveryCodes } from './codes.js';
import { summarizeRecoveryCodes } from './queries.js';

/** Recovery codes in the second-factor registry: they stand in for a factor, and go when 2FA turns off. */
export const recoveryCodeMethod: SecondFactor<'recoveryCodes'> = {
  activeSql: 'exists (select 1 from recovery_codes where user_id = ? and used_at is null)',
  standsIn: true,
  statusKey: 'recoveryCodes',
  async status(db, userId) {
    const codes = await summarizeRecoveryCodes(db, userId);
    return codes.total > 0 && codes.createdAt ? { completedAt: codes.createdAt.toISOString(), remaining: codes.remaining } : null;
  },
  guessFactor: 'recovery_code',
  onTwoFactorOff: deleteRecoveryCodes,
};
