import type { SecondFactor } from '../two-factor/second-factor.js';

const iso = (json: string) => new Date(json).toISOString();

/** TOTP in the second-factor registry. A pending setup shows `completedAt: null`. */
export const totpMethod: SecondFactor<'totp'> = {
  activeSql: 'exists (select 1 from totp_factors where user_id = ? and completed_at is not null)',
  statusKey: 'totp',
  statusSql: "(select json_build_object('completedAt', completed_at, 'pending', pending_secret_enc is not null) from totp_factors where user_id = u.id)",
  toStatus(raw: { completedAt: string | null; pending: boolean } | null) {
    if (raw?.completedAt) return { completedAt: iso(raw.completedAt) };
    return raw?.pending ? { completedAt: null } : null;
  },
  guessFactor: 'totp',
};
