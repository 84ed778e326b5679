import type { Db, Tx } from '../db/knex.js';
import { deleteInBatches } from '../db/batch-delete.js';
import { preparedStatement, runPrepared, type PreparedStatement } from '../db/prepared.js';
import type { SessionMethod } from '../../generated/types.gen.js';
import type { ClientInfo } from '../http/request-context.js';
import type { SessionEndReason } from './constants.js';
import type { Device } from './device.js';

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
 * A new session, its first refresh token and the sighting of its device, in one statement (atomic
 * without a transaction, so a login needs none, and no round trip more than the session costs).
 * `newDevice` is true when the account has signed in before, but not from this device in the
 * last `deviceMemoryMs`: the upsert restarts `sightings` at 1 for a pair not seen that long, and
 * as it runs on the newest row version, two racing sign-ins from one new device see it new once.
 * An account's first device is not new (there is nothing to compare with: a fresh account, or
 * one from before devices were recorded); a sign-in with no device (`device` undefined) records none.
 */
export async function insertSessionWithRefreshToken(
  db: Db | Tx,
  row: {
    userId: string;
    method: SessionMethod;
    client: ClientInfo;
    device: Device | undefined;
    deviceMemoryMs: number;
    tokenHash: Buffer;
    passwordChangedAt: number;
    now: Date;
    expiresAt: Date;
  },
): Promise<{ sessionId: string; newDevice: boolean }> {
  const { rows } = await db.raw(
    `with session as (
       insert into sessions (user_id, method, created_at, last_used_at, expires_at, user_agent, address)
       values (:userId, :method, :now, :now, :expiresAt, :userAgent, :address)
       returning id
     ), token as (
       insert into refresh_tokens (user_id, session_id, token_hash, password_changed_at, created_at, expires_at)
       select :userId, id, :tokenHash, :passwordChangedAt, :now, :expiresAt from session
       returning session_id
     ), sighting as (
       insert into known_devices as d (user_id, family, network, last_seen_at, sightings)
       select :userId, :family, :network, :now, 1 where :family::text is not null
       on conflict (user_id, family, network) do update
         set last_seen_at = excluded.last_seen_at,
             sightings = case when d.last_seen_at < :forgottenBefore then 1 else d.sightings + 1 end
       returning sightings
     )
     select (select session_id from token) as session_id,
            (select sightings from sighting) = 1
              and exists (select 1 from known_devices where user_id = :userId) as new_device`,
    {
      userId: row.userId,
      method: row.method,
      now: row.now,
      expiresAt: row.expiresAt,
      userAgent: row.client.userAgent,
      address: row.client.address,
      tokenHash: row.tokenHash,
      passwordChangedAt: new Date(row.passwordChangedAt),
      family: row.device?.family ?? null,
      network: row.device?.network ?? null,
      forgottenBefore: new Date(row.now.getTime() - row.deviceMemoryMs),
    },
  );
  return { sessionId: rows[0].session_id, newDevice: rows[0].new_device === true };
}

/**
 * More work folded into the statement of insertSessionOnRecentDevice, ahead of it: `ctes` (with
 * their `?` values, bound first), `allows` (a boolean over them; false = no session, no sighting;
 * the statement returns it as `allowed`) and `columns` (what else the caller wants back from them).
 * Its SQL must not vary: `name` prepares it.
 */
export interface SessionGate {
  name: string;
  ctes: string;
  values: unknown[];
  allows: string;
  columns?: string;
}

/**
 * insertSessionWithRefreshToken's usual cases in one statement, with the `login_succeeded` event
 * as well: a sign-in from a device the account has used within `deviceMemoryMs`, from its first
 * device, or with no device. None is new or needs a notice, so the statement commits on its own
 * and a login needs no transaction. For any other device it makes nothing (sessionId null): the
 * caller then takes the general path (insertSessionWithRefreshToken in a transaction, which sees
 * the device as it is then). The sighting is the upsert's own for those cases: the update of a
 * pair seen within that time, or the insert of an account's first pair (of two racing first
 * sign-ins from one device, the one that loses the insert takes the general path, and sees it).
 */
export async function insertSessionOnRecentDevice<G extends Record<string, unknown> = Record<string, never>>(
  db: Db | Tx,
  row: Parameters<typeof insertSessionWithRefreshToken>[1],
  gate?: SessionGate,
): Promise<{ sessionId: string | null; allowed: boolean; gated: G }> {
  const { userId, now, expiresAt, client } = row;
  const family = row.device?.family ?? null;
  const network = row.device?.network ?? null;
  const [result] = await runPrepared<{ session_id: string | null; allowed: boolean } & G>(db, recentDeviceSessionStatement(gate), [
    ...(gate?.values ?? []),
    // seen
    now, userId, family, network, new Date(now.getTime() - row.deviceMemoryMs),
    // first
    userId, family, network, now, family, userId,
    // session
    userId, row.method, now, now, expiresAt, client.userAgent, client.address, family,
    // token
    userId, row.tokenHash, new Date(row.passwordChangedAt), now, expiresAt,
    // event
    userId, now, client.address, client.userAgent, row.method,
  ]);
  const { session_id: sessionId, allowed, ...gated } = result!;
  return { sessionId, allowed, gated: gated as unknown as G };
}

const recentDeviceStatements = new Map<string, PreparedStatement>();

function recentDeviceSessionStatement(gate: SessionGate | undefined): PreparedStatement {
  const name = gate ? `session_${gate.name}` : 'session_recent_device';
  let statement = recentDeviceStatements.get(name);
  if (statement) return statement;
  const allows = gate ? `(${gate.allows})` : 'true';
  statement = preparedStatement(
    name,
    `with ${gate ? `${gate.ctes},` : ''}
     seen as (
       update known_devices set last_seen_at = ?, sightings = sightings + 1
        where user_id = ? and family = ? and network = ? and last_seen_at >= ? and ${allows}
       returning 1
     ), first as (
       insert into known_devices (user_id, family, network, last_seen_at, sightings)
       select ?, ?, ?, ?, 1
        where ?::text is not null and ${allows} and not exists (select 1 from known_devices where user_id = ?)
       on conflict do nothing
       returning 1
     ), session as (
       insert into sessions (user_id, method, created_at, last_used_at, expires_at, user_agent, address)
       select ?, ?, ?, ?, ?, ?, ?
        where ${allows} and (?::text is null or exists (select 1 from seen) or exists (select 1 from first))
       returning id
     ), token as (
       insert into refresh_tokens (user_id, session_id, token_hash, password_changed_at, created_at, expires_at)
       select ?, id, ?, ?, ?, ? from session
       returning session_id
     ), event as (
       insert into security_events (user_id, type, at, address, user_agent, detail)
       select ?, 'login_succeeded', ?, ?, ?, jsonb_build_object('method', ?::text, 'sessionId', session_id) from token
     )
     select ${gate?.columns ? `${gate.columns},` : ''} ${allows} as allowed, (select session_id from token) as session_id`,
  );
  recentDeviceStatements.set(name, statement);
  return statement;
}

/** The device sweep: pairs not seen for `before`'s age are forgotten (they would count as new anyway). */
export async function deleteForgottenDevices(db: Db, before: Date): Promise<number> {
  return deleteInBatches(db, 'known_devices', (q) => q.where('last_seen_at', '<', before));
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

/**
 * The session whose id is the SQL expression `id`, as a subquery for a hot statement to check its
 * columns against. Checked in the same condition list as the id, a plan made while `sessions` is
 * small (a pooled connection keeps its prepared statement's plan for as long as it lives) finds
 * the session by scanning the partial index of the user's live sessions instead: a cost that grows
 * with every session the user opens (test/db/plans.test.ts). The LIMIT keeps PostgreSQL from
 * folding the lookup back into the outer conditions.
 */
export const sessionByIdSql = (id: string) => `(select user_id, ended_at, expires_at from sessions where id = ${id} limit 1)`;

/**
 * "The session `?` of user `u` is live" as a subquery over a `users u` row, for statements that
 * fold the token check into their own work (one binding: the session id; then `now`).
 *
 * The session is read by its primary key (sessionByIdSql) and only then checked.
 */
export const LIVE_SESSION_SQL = `select 1 from ${sessionByIdSql('?')} s where s.user_id = u.id and s.ended_at is null and s.expires_at > ?`;

/** Whether the user's session is live: what access and sudo tokens are checked against online. */
export async function isSessionLive(db: Db | Tx, sessionId: string, userId: string, now: Date): Promise<boolean> {
  const row = await db('sessions').where({ id: sessionId, user_id: userId }).whereNull('ended_at').where('expires_at', '>', now).first('id');
  return Boolean(row);
}

/**
 * The online check of an access, sudo or partial token in one round trip: the user row it was
 * issued against and, for a token with a session, whether that session is live. The most frequent
 * statement of all: prepared (runPrepared).
 */
const TOKEN_SUBJECT = preparedStatement(
  'token_subject',
  `select u.password_changed_at, u.disabled_at, exists (${LIVE_SESSION_SQL}) as session_live from users u where u.id = ?`,
);

export async function findTokenSubject(
  db: Db | Tx,
  token: { userId: string; sessionId: string | undefined; now: Date },
): Promise<{ passwordChangedAt: Date; disabledAt: Date | null; sessionLive: boolean } | undefined> {
  const [row] = await runPrepared<{ password_changed_at: Date; disabled_at: Date | null; session_live: boolean }>(db, TOKEN_SUBJECT, [
    token.sessionId ?? null,
    token.now,
    token.userId,
  ]);
  return row ? { passwordChangedAt: row.password_changed_at, disabledAt: row.disabled_at, sessionLive: row.session_live } : undefined;
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
