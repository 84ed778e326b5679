import type { Db, Tx } from '../db/knex.js';
import { SECOND_FACTOR_LIST } from './registry.js';
import type { StatusKey, TwoFactorMethod } from './second-factor.js';
import { LIVE_SESSION_SQL } from '../sessions/queries.js';
import { preparedStatement, runPrepared, type PreparedStatement } from '../db/prepared.js';

export type { TwoFactorMethod };

/** The 2FA methods a login may use: active factors, plus stand-ins (recovery codes) while one is active. One round trip. */
export async function findActiveMethods(db: Db | Tx, userId: string): Promise<TwoFactorMethod[]> {
  const row = await db
    .select(SECOND_FACTOR_LIST.map(([name, method]) => db.raw(`${method.activeSql} as ??`, [userId, name])))
    .first();
  return activeMethodsOf(row);
}

/** findActiveMethods from a row of each method's `activeSql` flag, keyed by method. */
export function activeMethodsOf(flags: Partial<Record<TwoFactorMethod, unknown>>): TwoFactorMethod[] {
  const active = SECOND_FACTOR_LIST.filter(([name]) => flags[name] === true);
  // Recovery codes only stand in for a factor: without an active factor 2FA is off.
  if (!active.some(([, method]) => !method.standsIn)) return [];
  return active.map(([name]) => name);
}

/**
 * findActiveMethods for a statement that folds it in: `select` is a select list of every method's
 * flag (one `?` each, the user id, `userIdBindings` of them), `required` is "2FA is on" over a
 * relation of those columns.
 */
export const ACTIVE_METHODS_SQL = {
  select: SECOND_FACTOR_LIST.map(([name, method]) => `${method.activeSql} as "${name}"`).join(', '),
  userIdBindings: SECOND_FACTOR_LIST.length,
  required: SECOND_FACTOR_LIST.filter(([, method]) => !method.standsIn).map(([name]) => `"${name}"`).join(' or '),
  names: SECOND_FACTOR_LIST.map(([name]) => name),
};

export async function hasTwoFactorEnabled(db: Db | Tx, userId: string): Promise<boolean> {
  return (await findActiveMethods(db, userId)).length > 0;
}

/** Each method's raw GET /user/2fa state (its `statusSql`), keyed by its status key. */
export type TwoFaOverviewRow = Record<StatusKey, unknown>;

/**
 * The overview in one statement (one round trip, one pooled connection): every method's
 * `statusSql` over the user row. With `token` (the caller's), undefined unless the user exists
 * with the token's password change time, is not disabled, and the token's session is live: the
 * whole online token check folded into the same statement.
 */
export async function findTwoFaOverview(
  db: Db | Tx,
  userId: string,
  token?: { passwordChangedAt: number; sessionId: string | undefined; now: Date },
): Promise<TwoFaOverviewRow | undefined> {
  if (!token) {
    const { rows } = await db.raw(`select ${overviewColumns()} from users u where u.id = ?`, [userId]);
    return rows[0];
  }
  // A partial token has no session (and the token check let it through only as one).
  const [read, session] = token.sessionId === undefined ? [overviewReads().partial, []] : [overviewReads().withSession, [token.sessionId, token.now]];
  const [row] = await runPrepared<TwoFaOverviewRow>(db, read, [userId, new Date(token.passwordChangedAt), ...session]);
  return row;
}

const overviewColumns = () => SECOND_FACTOR_LIST.map(([, method]) => `${method.statusSql} as "${method.statusKey}"`).join(', ');

// Built on first use (the registry is complete by then), once per process; GET /user/2fa runs them prepared.
let reads: { partial: PreparedStatement; withSession: PreparedStatement } | undefined;
function overviewReads() {
  if (reads) return reads;
  const sql = `select ${overviewColumns()} from users u where u.id = ? and u.password_changed_at = ? and u.disabled_at is null`;
  return (reads = {
    partial: preparedStatement('two_fa_overview_partial', sql),
    withSession: preparedStatement('two_fa_overview', `${sql} and exists (${LIVE_SESSION_SQL})`),
  });
}
