import type { SecondFactor } from '../two-factor/second-factor.js';

/** Passkeys in the second-factor registry: active while the user has one. */
export const webauthnMethod: SecondFactor<'webauthn'> = {
  activeSql: 'exists (select 1 from webauthn_credentials where user_id = ?)',
  statusKey: 'webauthn',
  statusSql: "(select json_build_object('count', count(*), 'firstAt', min(created_at)) from webauthn_credentials where user_id = u.id)",
  toStatus(raw: { count: number; firstAt: string | null }) {
    return raw.count > 0 && raw.firstAt ? { completedAt: new Date(raw.firstAt).toISOString(), credentials: raw.count } : null;
  },
  guessFactor: 'webauthn',
};
