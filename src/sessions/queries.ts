import type { Db, Tx } from '../db/knex.js';
import { deleteInBatches } from '../db/batch-delete.js';
import type { SessionMethod } from '../../generated/types.gen.js';
import type { ClientInfo } from '../http/request-context.js';
import type { SessionEndReason } from './constants.js';

export interface SessionRow {
  id: string;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  userAgent: string | null;
  address: string | null;
  method: SessionMethod;
}

/**
 * A new session and its first refresh token in one statement (atomic without a transaction, so a
 * login needs none). Returns the session's id.
 */
export async function insertSessionWithRefreshToken(
  db: Db | Tx,
  row: { userId: string; method: SessionMethod; client: ClientInfo; tokenHash: Buffer; passwordChangedAt: number; now: Date; expiresAt: Date },
): Promise<string> {
  const { rows } = await db.raw(
    `with session as (
       insert into sessions (user_id, method, created_at, last_used_at, expires_at, user_agent, address)
       values (:userId, :method, :now, :now, :expiresAt, :userAgent, :address)
       returning id
     )
     insert into refresh_tokens (user_id, session_id, token_hash, password_changed_at, created_at, expires_at)
     select :userId, id, :tokenHash, :passwordChangedAt, :now, :expiresAt from session
     returning session_id`,
    {
      userId: row.userId,
      method: row.method,
      now: row.now,
      expiresAt: row.expiresAt,
      userAgent: row.client.userAgent,
      address: row.client.address,
      tokenHash: row.tokenHash,
      passwordChangedAt: new Date(row.passwordChangedAt),
    },
  );
  return rows[0].session_id;
}

/**
 * A live session's next refresh token is due: it was used now, from this client, and lives 14 more
 * days but never past its absolute end. Undefined when the session has ended or reached its end.
 */
export async function extendSession(
  trx: Tx,
  row: { sessionId: string; client: ClientInfo; now: Date; slidingExpiresAt: Date; maxAgeMs: number },
): Promise<{ expiresAt: Date } | undefined> {
  const [updated] = await trx('sessions')
    .where({ id: row.sessionId })
    .whereNull('ended_at')
    .whereRaw('created_at + make_interval(secs => ?) > ?', [row.maxAgeMs / 1000, row.now])
    .update({
      last_used_at: row.now,
      expires_at: trx.raw('least(?::timestamptz, created_at + make_interval(secs => ?))', [row.slidingExpiresAt, row.maxAgeMs / 1000]),
      user_agent: row.client.userAgent,
      address: row.client.address,
    })
    .returning('expires_at');
  return updated ? { expiresAt: updated.expires_at } : undefined;
}

/** Whether the user's session is live: what access and sudo tokens are checked against online. */
export async function isSessionLive(db: Db | Tx, sessionId: string, userId: string, now: Date): Promise<boolean> {
  const row = await db('sessions').where({ id: sessionId, user_id: userId }).whereNull('ended_at').where('expires_at', '>', now).first('id');
  return Boolean(row);
}

export async function findLiveSessions(db: Db | Tx, userId: string, now: Date): Promise<SessionRow[]> {
  const rows = await db('sessions')
    .where({ user_id: userId })
    .whereNull('ended_at')
    .where('expires_at', '>', now)
    .orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }])
    .select('id', 'created_at', 'last_used_at', 'expires_at', 'user_agent', 'address', 'method');
  return rows.map((r) => ({
    id: r.id,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    expiresAt: r.expires_at,
    userAgent: r.user_agent,
    address: r.address,
    method: r.method,
  }));
}

/**
 * Ends the user's live sessions chosen by `which` (one id, all but one, or all); returns the ids it
 * ended. Guarded by `ended_at is null`, so of two concurrent ends each session is ended (and
 * recorded) once. Their refresh tokens die with them (findLiveRefreshToken joins the session).
 */
export async function endSessions(
  db: Db | Tx,
  row: { userId: string; which: { only: string } | { allBut: string } | 'all'; now: Date; reason: SessionEndReason },
): Promise<string[]> {
  const query = db('sessions').where({ user_id: row.userId }).whereNull('ended_at');
  if (row.which !== 'all' && 'only' in row.which) query.where({ id: row.which.only });
  if (row.which !== 'all' && 'allBut' in row.which) query.whereNot({ id: row.which.allBut });
  const ended = await query.update({ ended_at: row.now, end_reason: row.reason }).returning('id');
  return ended.map((r) => r.id);
}

/** A refresh token that was rotated away, with its session (live or not). */
export async function findRotatedRefreshToken(
  db: Db | Tx,
  tokenHash: Buffer,
): Promise<{ sessionId: string; userId: string; rotatedAt: Date } | undefined> {
  const row = await db('refresh_tokens').where({ token_hash: tokenHash }).whereNotNull('rotated_at').first('session_id', 'user_id', 'rotated_at');
  return row ? { sessionId: row.session_id, userId: row.user_id, rotatedAt: row.rotated_at } : undefined;
}

/** The sweep: sessions ended or expired before `before`, with their refresh tokens (cascade). */
export async function deleteFinishedSessions(db: Db, before: Date): Promise<number> {
  return deleteInBatches(db, 'sessions', (q) => q.where('ended_at', '<', before).orWhere('expires_at', '<', before));
}
