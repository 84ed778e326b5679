import type { SecondFactor } from '../two-factor/second-factor.js';
import { summarizeCredentials } from './queries.js';

/** Passkeys in the second-factor registry: active while the user has one. */
export const webauthnMethod: SecondFactor<'webauthn'> = {
  activeSql: 'exists (select 1 from webauthn_credentials where user_id = ?)',
  statusKey: 'webauthn',
  async status(db, userId) {
    const { count, firstAt } = await summarizeCredentials(db, userId);
    return count > 0 && firstAt ? { completedAt: firstAt.toISOString(), credentials: count } : null;
  },
  guessFactor: 'webauthn',
};
