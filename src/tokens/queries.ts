import type { Db, Tx } from '../db/knex.js';

export async function insertRefreshToken(db: Db | Tx, row: { userId: string; tokenHash: Buffer; now: Date; expiresAt: Date }): Promise<void> {
  await db('refresh_tokens').insert({
    user_id: row.userId,
    token_hash: row.tokenHash,
    created_at: row.now,
    expires_at: row.expiresAt,
  });
}

/** The owner of a live (unrevoked, unexpired) refresh token. */
export async function findLiveRefreshToken(db: Db | Tx, tokenHash: Buffer, now: Date): Promise<{ userId: string } | undefined> {
  const row = await db('refresh_tokens')
    .where({ token_hash: tokenHash })
    .whereNull('revoked_at')
    .where('expires_at', '>', now)
    .first('user_id');
  return row ? { userId: row.user_id } : undefined;
}

/** Revokes one live token; the guarded UPDATE makes rotation single-use under concurrency. */
export async function revokeRefreshToken(db: Db | Tx, tokenHash: Buffer, now: Date): Promise<{ userId: string } | undefined> {
  const [row] = await db('refresh_tokens')
    .where({ token_hash: tokenHash })
    .whereNull('revoked_at')
    .where('expires_at', '>', now)
    .update({ revoked_at: now })
    .returning('user_id');
  return row ? { userId: row.user_id } : undefined;
}

export async function revokeAllRefreshTokens(db: Db | Tx, userId: string, now: Date): Promise<number> {
  return db('refresh_tokens').where({ user_id: userId }).whereNull('revoked_at').update({ revoked_at: now });
}
