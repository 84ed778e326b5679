import type { Db, Tx } from '../db/knex.js';

export type TwoFactorMethod = 'totp' | 'emailOtp' | 'recoveryCode';

/** The 2FA methods a login may use: active factors, plus recovery codes while unused ones remain. */
export async function findActiveMethods(db: Db | Tx, userId: string): Promise<TwoFactorMethod[]> {
  const row = await db
    .select(
      db.raw('exists (select 1 from totp_factors where user_id = ? and completed_at is not null) as totp', [userId]),
      db.raw('exists (select 1 from email_otp_factors where user_id = ? and completed_at is not null) as email_otp', [userId]),
      db.raw('exists (select 1 from recovery_codes where user_id = ? and used_at is null) as recovery_code', [userId]),
    )
    .first();
  const methods: TwoFactorMethod[] = [];
  if (row.totp) methods.push('totp');
  if (row.email_otp) methods.push('emailOtp');
  // Recovery codes only stand in for a factor: without an active factor 2FA is off.
  if (methods.length && row.recovery_code) methods.push('recoveryCode');
  return methods;
}

export async function hasTwoFactorEnabled(db: Db | Tx, userId: string): Promise<boolean> {
  return (await findActiveMethods(db, userId)).length > 0;
}
