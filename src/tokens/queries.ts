import type { Db, Tx } from '../db/knex.js';

export async function insertRefreshToken(
  db: Db | Tx,
  row: { userId: string; tokenHash: Buffer; passwordChangedAt: number; now: Date; expiresAt: Date },
): Promise<void> {
  await db('refresh_tokens').insert({
    user_id: row.userId,
    token_hash: row.tokenHash,
    password_changed_at: new Date(row.passwordChangedAt),
    created_at: row.now,
    expires_at: row.expiresAt,
  });
}

/**
 * A refresh token for a session that must still be the user's current one, in one statement:
 * the user row is read FOR SHARE and must still carry `passwordChangedAt` (re-checked on the
 * newest row version if a password change committed meanwhile). False = no row inserted: the
 * user is gone or changed the password.
 */
export async function insertRefreshTokenIfPasswordUnchanged(
  trx: Tx,
  row: { userId: string; tokenHash: Buffer; passwordChangedAt: number; now: Date; expiresAt: Date },
): Promise<boolean> {
  const { rows } = await trx.raw(
    `insert into refresh_tokens (user_id, token_hash, password_changed_at, created_at, expires_at)
     select u.id, ?, u.password_changed_at, ?, ? from users u
      where u.id = ? and u.password_changed_at = ?
        for share
     returning user_id`,
    [row.tokenHash, row.now, row.expiresAt, row.userId, new Date(row.passwordChangedAt)],
  );
  return rows.length === 1;
}

/**
 * The owner of a live refresh token: unrevoked, unexpired, and issued under the owner's current
 * password (so one created by a login racing a password change is dead even if the change's
 * revocation did not see it). Also returns that password change time.
 */
export async function findLiveRefreshToken(db: Db | Tx, tokenHash: Buffer, now: Date): Promise<{ userId: string; passwordChangedAt: number } | undefined> {
  const row = await db('refresh_tokens as t')
    .join('users as u', 'u.id', 't.user_id')
    .where({ 't.token_hash': tokenHash })
    .whereNull('t.revoked_at')
    .where('t.expires_at', '>', now)
    .whereRaw('t.password_changed_at = u.password_changed_at')
    .first('t.user_id', 'u.password_changed_at');
  return row ? { userId: row.user_id, passwordChangedAt: row.password_changed_at.getTime() } : undefined;
}

/** Revokes one live token; the guarded UPDATE makes rotation single-use under concurrency. */
export async function revokeRefreshToken(db: Db | Tx, tokenHash: Buffer, now: Date): Promise<{ userId: string; passwordChangedAt: number } | undefined> {
  const [row] = await db('refresh_tokens')
    .where({ token_hash: tokenHash })
    .whereNull('revoked_at')
    .where('expires_at', '>', now)
    .update({ revoked_at: now })
    .returning(['user_id', 'password_changed_at']);
  return row ? { userId: row.user_id, passwordChangedAt: row.password_changed_at.getTime() } : undefined;
}

export async function revokeAllRefreshTokens(db: Db | Tx, userId: string, now: Date): Promise<number> {
  return db('refresh_tokens').where({ user_id: userId }).whereNull('revoked_at').update({ revoked_at: now });
}
