import type { Deps } from '../deps.js';
import type { Db, Tx } from '../db/knex.js';
import type { Session, SessionMethod } from '../../generated/types.gen.js';
import { inTx, withTx } from '../db/tx.js';
import { recordSecurityEvent } from '../security-events/record.js';
import { clientOf } from '../http/request-context.js';
import { REFRESH_TOKEN_TTL_MS } from '../tokens/constants.js';
import { tokenErrors } from '../tokens/errors.js';
import { insertRefreshToken } from '../tokens/queries.js';
import { newRefreshToken } from '../tokens/refresh-token.js';
import { queueSecurityNotice } from '../security-events/notices.js';
import { DEVICE_MEMORY_MS } from './constants.js';
import { deviceOf } from './device.js';
import { endUserSessions } from './end.js';
import { sessionErrors } from './errors.js';
import { extendSession, findLiveSessions, insertSessionOnRecentDevice, insertSessionWithRefreshToken, type SessionGate } from './queries.js';

type SessionDeps = Pick<Deps, 'clock' | 'client' | 'config' | 'mail' | 'log'>;

/** The user and the password change time the caller's token was checked against. */
interface SessionCaller {
  userId: string;
  passwordChangedAt: number;
}

/**
 * A new login: a session made by `method`, from the current request's client, its first refresh
 * token (bound to the password the caller's check saw; see findLiveRefreshToken) and the
 * `login_succeeded` event, in the caller's transaction or one of its own. A sign-in from a device
 * the account has not used for 90 days also mails the owner (`newDevice` in the event's detail).
 *
 * The usual sign-in, from a device seen lately, is one statement that commits on its own
 * (insertSessionOnRecentDevice); only another device takes the general path. With `gate`, that
 * statement also does the caller's folded work and makes a session only where the gate allows
 * (the password login: see tokens/service.ts); `gated` is what the gate read.
 */
export async function startSession(db: Db | Tx, deps: SessionDeps, caller: SessionCaller, method: SessionMethod): Promise<StartedSession> {
  const row = newSessionRow(deps, caller, method);
  const recent = await insertSessionOnRecentDevice(db, row.insert);
  return recent.sessionId ? { sessionId: recent.sessionId, refreshToken: row.refreshToken } : startOnAnyDevice(db, deps, row);
}

/** startSession with `gate`: no session (`started` undefined) where the gate allows none; `gated` is what its columns read. */
export async function startGatedSession<G extends Record<string, unknown> = Record<string, never>>(
  db: Db | Tx,
  deps: SessionDeps,
  caller: SessionCaller,
  method: SessionMethod,
  gate: SessionGate,
): Promise<{ started?: StartedSession; gated: G }> {
  const row = newSessionRow(deps, caller, method);
  const recent = await insertSessionOnRecentDevice<G>(db, row.insert, gate);
  if (recent.sessionId) return { started: { sessionId: recent.sessionId, refreshToken: row.refreshToken }, gated: recent.gated };
  if (!recent.allowed) return { gated: recent.gated };
  return { started: await startOnAnyDevice(db, deps, row), gated: recent.gated };
}

interface StartedSession {
  sessionId: string;
  refreshToken: string;
}

function newSessionRow(deps: SessionDeps, caller: SessionCaller, method: SessionMethod) {
  const { token, tokenHash } = newRefreshToken();
  const now = deps.clock.now();
  const client = clientOf(deps);
  const insert = {
    userId: caller.userId,
    method,
    client,
    device: deviceOf(client),
    deviceMemoryMs: DEVICE_MEMORY_MS,
    tokenHash,
    passwordChangedAt: caller.passwordChangedAt,
    now: new Date(now),
    expiresAt: new Date(now + Math.min(REFRESH_TOKEN_TTL_MS, deps.config.sessionMaxAgeMs)),
  };
  return { insert, refreshToken: token };
}

/** The general path: the device may be new (then the owner is mailed), in one transaction. */
function startOnAnyDevice(db: Db | Tx, deps: SessionDeps, row: ReturnType<typeof newSessionRow>): Promise<StartedSession> {
  const { userId, method } = row.insert;
  return inTx(db, async (trx) => {
    const { sessionId, newDevice } = await insertSessionWithRefreshToken(trx, row.insert);
    await recordSecurityEvent(trx, deps, { userId, type: 'login_succeeded', detail: newDevice ? { method, sessionId, newDevice } : { method, sessionId } });
    if (newDevice) await queueSecurityNotice(trx, deps, { userId, notice: 'new_device_login' });
    return { sessionId, refreshToken: row.refreshToken };
  });
}

/**
 * The next refresh token of a live session (a rotation, or a second factor passed with one of its
 * access tokens): 14 more days, never past SESSION_MAX_AGE from its start. A session that has
 * ended or reached that age gets 401 INVALID_TOKEN (the caller must log in again). A step-up
 * leaves the session's other refresh token alive (the client may keep using it): the session then
 * has two branches, each rotated and reuse-checked on its own, ended together.
 */
export async function continueSession(trx: Tx, deps: SessionDeps, caller: SessionCaller & { sessionId: string }): Promise<string> {
  const now = deps.clock.now();
  const extended = await extendSession(trx, {
    sessionId: caller.sessionId,
    client: clientOf(deps),
    now: new Date(now),
    slidingExpiresAt: new Date(now + REFRESH_TOKEN_TTL_MS),
    maxAgeMs: deps.config.sessionMaxAgeMs,
  });
  if (!extended) throw tokenErrors('INVALID_TOKEN');
  const { token, tokenHash } = newRefreshToken();
  await insertRefreshToken(trx, {
    userId: caller.userId,
    sessionId: caller.sessionId,
    tokenHash,
    passwordChangedAt: caller.passwordChangedAt,
    now: new Date(now),
    expiresAt: extended.expiresAt,
  });
  return token;
}

/** The user's live sessions, newest first, the caller's own marked `current`. */
export async function listSessions(deps: Pick<Deps, 'db' | 'clock'>, caller: { userId: string; sessionId?: string }): Promise<Session[]> {
  const sessions = await findLiveSessions(deps.db, caller.userId, new Date(deps.clock.now()));
  return sessions.map((s) => ({
    id: s.id,
    createdAt: s.createdAt.toISOString(),
    lastUsedAt: s.lastUsedAt.toISOString(),
    expiresAt: s.expiresAt.toISOString(),
    userAgent: s.userAgent,
    address: s.address,
    method: s.method,
    current: s.id === caller.sessionId,
  }));
}

/** Ends one of the user's live sessions; 404 SESSION_NOT_FOUND when it has none by that id. */
export async function endSession(deps: Pick<Deps, 'db' | 'clock'>, userId: string, sessionId: string): Promise<void> {
  await withTx(deps.db, async (trx) => {
    const ended = await endUserSessions(trx, deps, { userId, which: { only: sessionId }, reason: 'ended_by_user' });
    if (!ended.length) throw sessionErrors('SESSION_NOT_FOUND');
  });
}

/** Ends every live session of the user but the caller's own. */
export async function endOtherSessions(deps: Pick<Deps, 'db' | 'clock'>, caller: { userId: string; sessionId: string }): Promise<void> {
  await withTx(deps.db, (trx) =>
    endUserSessions(trx, deps, { userId: caller.userId, which: { allBut: caller.sessionId }, reason: 'ended_by_user' }),
  );
}
