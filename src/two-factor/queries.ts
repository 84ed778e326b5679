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

/** Everything GET /user/2fa shows, raw from the three tables. */
export interface TwoFaOverviewRow {
  totpCompletedAt: Date | null;
  totpPending: boolean;
  email: string | null;
  emailCompletedAt: Date | null;
  pendingEmail: string | null;
  recoveryCodesTotal: number;
  recoveryCodesRemaining: number;
  recoveryCodesCreatedAt: Date | null;
}

/** The overview in one statement (one round trip, one pooled connection): both factor rows and the code counts. */
export async function findTwoFaOverview(db: Db | Tx, userId: string): Promise<TwoFaOverviewRow> {
  const { rows } = await db.raw(
    `select t.completed_at as totp_completed_at, t.pending_secret_enc is not null as totp_pending,
            e.email, e.completed_at as email_completed_at, e.pending_email,
            c.total, c.remaining, c.created_at as codes_created_at
       from (select ?::uuid as user_id) u
       left join totp_factors t on t.user_id = u.user_id
       left join email_otp_factors e on e.user_id = u.user_id
       cross join lateral (
         select count(*)::int as total, (count(*) filter (where used_at is null))::int as remaining, max(created_at) as created_at
           from recovery_codes where user_id = u.user_id
       ) c`,
    [userId],
  );
  const row = rows[0];
  return {
    totpCompletedAt: row.totp_completed_at,
    totpPending: row.totp_pending === true,
    email: row.email,
    emailCompletedAt: row.email_completed_at,
    pendingEmail: row.pending_email,
    recoveryCodesTotal: row.total,
    recoveryCodesRemaining: row.remaining,
    recoveryCodesCreatedAt: row.codes_created_at,
  };
}
