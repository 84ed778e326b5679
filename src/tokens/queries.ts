import type { Db, Tx } from '../db/knex.js';
import { preparedStatement, runPrepared } from '../db/prepared.js';
import { sessionByIdSql, type SessionGate } from '../sessions/queries.js';

export async function insertRefreshToken(
  db: Db | Tx,
  row: { userId: string; sessionId: string; tokenHash: Buffer; passwordChangedAt: number; now: Date; expiresAt: Date },
): Promise<void> {
  await db('refresh_tokens').insert({
    user_id: row.userId,
    session_id: row.sessionId,
    token_hash: row.tokenHash,
    password_changed_at: new Date(row.passwordChangedAt),
    created_at: row.now,
    expires_at: row.expiresAt,
  });
}

/** A live refresh token's owner, the password change time it was issued under, and its session. */
export interface RefreshTokenOwner {
  userId: string;
  passwordChangedAt: number;
  sessionId: string;
}

const LIVE_REFRESH_TOKEN = preparedStatement(
  'live_refresh_token',
  `select t.user_id, u.password_changed_at, t.session_id
     from refresh_tokens t
     join users u on u.id = t.user_id
     cross join lateral ${sessionByIdSql('t.session_id')} s
    where t.token_hash = ? and t.revoked_at is null and s.ended_at is null and u.disabled_at is null
      and t.expires_at > ? and t.password_changed_at = u.password_changed_at
    limit 1`,
);

/**
 * The owner of a live refresh token: unrevoked, unexpired, of a session not ended, and issued
 * under the owner's current password (so one created by a login racing a password change is dead
 * even if the change's revocation did not see it). Also returns that password change time.
 */
export async function findLiveRefreshToken(db: Db | Tx, tokenHash: Buffer, now: Date): Promise<RefreshTokenOwner | undefined> {
  const [row] = await runPrepared<{ user_id: string; password_changed_at: Date; session_id: string }>(db, LIVE_REFRESH_TOKEN, [tokenHash, now]);
  return row ? { userId: row.user_id, passwordChangedAt: row.password_changed_at.getTime(), sessionId: row.session_id } : undefined;
}

/**
 * Revokes one live token; the guarded UPDATE makes rotation single-use under concurrency. A
 * rotation also marks it rotated away, which makes presenting it again a reuse.
 */
export async function revokeRefreshToken(db: Db | Tx, tokenHash: Buffer, now: Date, how: 'revoked' | 'rotated' = 'revoked'): Promise<RefreshTokenOwner | undefined> {
  const [row] = await db('refresh_tokens')
    .where({ token_hash: tokenHash })
    .whereNull('revoked_at')
    .where('expires_at', '>', now)
    .update({ revoked_at: now, ...(how === 'rotated' && { rotated_at: now }) })
    .returning(['user_id', 'password_changed_at', 'session_id']);
  return row ? { userId: row.user_id, passwordChangedAt: row.password_changed_at.getTime(), sessionId: row.session_id } : undefined;
}

export async function revokeAllRefreshTokens(db: Db | Tx, userId: string, now: Date): Promise<number> {
  return db('refresh_tokens').where({ user_id: userId }).whereNull('revoked_at').update({ revoked_at: now });
}

const CALLER_ROW_GATE_SQL = {
  name: 'caller_row',
  ctes: 'caller as (select 1 from users where id = ? and password_changed_at = ? for share)',
  allows: 'exists (select 1 from caller)',
};

/**
 * The gate of a session issued after a second factor (issueSessionTokens): the user row, read FOR
 * SHARE, still carries the password change time the caller's token was checked against.
 */
export function callerRowGate(caller: { userId: string; passwordChangedAt: number }): SessionGate {
  return { ...CALLER_ROW_GATE_SQL, values: [caller.userId, new Date(caller.passwordChangedAt)] };
}
