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

/**
 * The overview in one statement (one round trip, one pooled connection): the user row, both
 * factor rows and the code counts. With `passwordChangedAt` (a token's), undefined unless the
 * user exists with that password change time: the token check folded into the same statement.
 */
export async function findTwoFaOverview(db: Db | Tx, userId: string, passwordChangedAt?: number): Promise<TwoFaOverviewRow | undefined> {
  const { rows } = await db.raw(
    `select t.completed_at as totp_completed_at, t.pending_secret_enc is not null as totp_pending,
            e.email, e.completed_at as email_completed_at, e.pending_email,
            c.total, c.remaining, c.created_at as codes_created_at
       from users u
       left join totp_factors t on t.user_id = u.id
       left join email_otp_factors e on e.user_id = u.id
       cross join lateral (
         select count(*)::int as total, (count(*) filter (where used_at is null))::int as remaining, max(created_at) as created_at
           from recovery_codes where user_id = u.id
       ) c
      where u.id = ?${passwordChangedAt === undefined ? '' : ' and u.password_changed_at = ?'}`,
    passwordChangedAt === undefined ? [userId] : [userId, new Date(passwordChangedAt)],
  );
  const row = rows[0];
  if (!row) return undefined;
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
