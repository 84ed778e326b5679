import type { Db, Tx } from '../db/knex.js';
import type { GuessFactor } from './constants.js';

export interface GuessCounter {
  failures: number;
  lastFailureAt: Date | null;
}

/**
 * Whose guesses a counter counts: an account's factor, or a login name with no account (so that
 * unknown names get the same backoff, and the same 429s, as real ones).
 */
export type CounterKey = { userId: string; factor: GuessFactor } | { unknownLogin: string };

function counterRow(key: CounterKey) {
  return 'userId' in key
    ? { table: 'guess_counters', where: { user_id: key.userId, factor: key.factor }, conflict: ['user_id', 'factor'] }
    : { table: 'unknown_login_counters', where: { key: key.unknownLogin }, conflict: ['key'] };
}

const toCounter = (row: { failures: number; last_failure_at: Date | null } | undefined): GuessCounter =>
  row ? { failures: row.failures, lastFailureAt: row.last_failure_at } : { failures: 0, lastFailureAt: null };

/**
 * Locks (creating if needed) the counter until the transaction ends, in one statement: an
 * upsert whose no-op update takes the row lock and returns the latest committed values (after
 * waiting for a concurrent guess, it sees that guess's count).
 */
export async function lockCounter(trx: Tx, key: CounterKey): Promise<GuessCounter> {
  const { table, where, conflict } = counterRow(key);
  const [row] = await trx(table)
    .insert(where)
    .onConflict(conflict)
    .merge({ failures: trx.ref(`${table}.failures`) })
    .returning(['failures', 'last_failure_at']);
  return toCounter(row);
}

/**
 * lockCounter for a caller holding a token: the same statement also checks the token's user row
 * (the user exists with that password change time), so the token check costs no round trip of
 * its own. Undefined (nothing locked or created) when the token is void. A plain read: the
 * session is issued under the user row's FOR SHARE lock later (issueSessionTokens).
 */
export async function lockCounterForCaller(trx: Tx, key: { userId: string; factor: GuessFactor }, passwordChangedAt: number): Promise<GuessCounter | undefined> {
  const { rows } = await trx.raw(
    `insert into guess_counters (user_id, factor)
     select u.id, ? from users u where u.id = ? and u.password_changed_at = ?
     on conflict (user_id, factor) do update set failures = guess_counters.failures
     returning failures, last_failure_at`,
    [key.factor, key.userId, new Date(passwordChangedAt)],
  );
  return rows[0] ? toCounter(rows[0]) : undefined;
}

export async function findCounter(db: Db | Tx, key: CounterKey): Promise<GuessCounter> {
  const { table, where } = counterRow(key);
  return toCounter(await db(table).where(where).first('failures', 'last_failure_at'));
}

export async function recordFailure(trx: Tx, key: CounterKey, now: Date): Promise<void> {
  const { table, where } = counterRow(key);
  await trx(table).where(where).update({ failures: trx.raw('failures + 1'), last_failure_at: now });
}

export async function resetCounter(db: Db | Tx, key: CounterKey): Promise<void> {
  const { table, where } = counterRow(key);
  await db(table).where(where).update({ failures: 0, last_failure_at: null });
}

/** The account's counter for one factor, locked until the transaction ends. */
export function lockGuessCounter(trx: Tx, userId: string, factor: GuessFactor): Promise<GuessCounter> {
  return lockCounter(trx, { userId, factor });
}

export function resetGuessCounter(db: Db | Tx, userId: string, factor: GuessFactor): Promise<void> {
  return resetCounter(db, { userId, factor });
}
