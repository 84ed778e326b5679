import type { SecondFactor } from '../two-factor/second-factor.js';
import { findTotpFactor } from './queries.js';

const iso = (date: Date) => date.toISOString();

/** TOTP in the second-factor registry. A pending setup shows `completedAt: null`. */
export const totpMethod: SecondFactor<'totp'> = {
  activeSql: 'exists (select 1 from totp_factors where user_id = ? and completed_at is not null)',
  statusKey: 'totp',
  async status(db, userId) {
    const factor = await findTotpFactor(db, userId);
    if (factor?.completedAt) return { completedAt: iso(factor.completedAt) };
    return factor?.pendingSecretEnc ? { completedAt: null } : null;
  },
  guessFactor: 'totp',
};
