import { deleteInBatches } from '../db/batch-delete.js';
import type { Db, Tx } from '../db/knex.js';
import { preparedStatement, runPrepared } from '../db/prepared.js';
import { FREE_FAILURES, MAX_WAIT_MS, type GuessFactor } from './constants.js';

export interface GuessCounter {
  failures: number;
  lastFailureAt: Date | null;
}

/**
 * Whose guesses a counter counts: an account's factor, or a login name with no account (so that
 * unknown names get the same backoff, and the same 429s, as real ones), or another subject with
 * no account (a reset address: `<purpose>:<HMAC>`), so that its checks write what a real one does.
 */
export type CounterKey = { userId: string; factor: GuessFactor } | { unknownLogin: string } | { unknownSubject: string };

function counterRow(key: CounterKey) {
  if ('userId' in key) return { table: 'guess_counters', where: { user_id: key.userId, factor: key.factor }, conflict: ['user_id', 'factor'] };
  // One table for every subject without an account: one sweep rule (src/sweep) covers them all.
  return { table: 'unknown_login_counters', where: { key: 'unknownLogin' in key ? key.unknownLogin : key.unknownSubject }, conflict: ['key'] };
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
     select u.id, ? from users u where u.id = ? and u.password_changed_at = ? and u.disabled_at is null
     on conflict (user_id, factor) do update set failures = guess_counters.failures
     returning failures, last_failure_at`,
    [key.factor, key.userId, new Date(passwordChangedAt)],
  );
  return rows[0] ? toCounter(rows[0]) : undefined;
}

/**
 * "Counter `counter` lets a guess be evaluated at `now`" in SQL: nextGuessAt (constants.ts).
 * Allowed while failures < FREE_FAILURES, else once last_failure_at + min(2^(failures −
 * FREE_FAILURES) s, MAX_WAIT_MS) ≤ now (the exponent is clamped so 2^x stays a small interval;
 * 2^10 s already exceeds the 15-minute cap).
 */
export const guessAllowedSql = (counter: string, now: string) => `${counter}.failures < ${FREE_FAILURES} or ${counter}.last_failure_at is null
  or ${counter}.last_failure_at + least(power(2, least(${counter}.failures - ${FREE_FAILURES}, 20)) * 1000, ${MAX_WAIT_MS}) * interval '1 millisecond' <= ${now}`;

/** The WHERE of a claim's `on conflict … do update` over counter `c` and the claim's `excluded` row (its time is now). */
export const CLAIM_ALLOWED_SQL = guessAllowedSql('c', 'excluded.last_failure_at');

/**
 * One statement, no transaction: counts this guess as a failure (creating the counter if needed)
 * unless the counter is in its backoff wait at `now` (CLAIM_ALLOWED_SQL); returns the failures
 * counted with it. Undefined = too early, nothing written.
 */
export async function claimGuess(db: Db, key: CounterKey, now: Date): Promise<number | undefined> {
  const { table, where, conflict } = counterRow(key);
  const columns = Object.keys(where);
  const { rows } = await db.raw(
    `insert into ?? as c (${columns.map(() => '??').join(', ')}, failures, last_failure_at)
     values (${columns.map(() => '?').join(', ')}, 1, ?)
     on conflict (${conflict.map(() => '??').join(', ')}) do update
       set failures = c.failures + 1, last_failure_at = excluded.last_failure_at
       where ${CLAIM_ALLOWED_SQL}
     returning failures`,
    [table, ...columns, ...Object.values(where), now, ...conflict],
  );
  return rows[0]?.failures;
}

const TOUCH_UNKNOWN_COUNTER = preparedStatement('unknown_counter_touch', 'update unknown_login_counters set failures = failures where key = ?');

/**
 * A write that changes nothing (a new row version of the counter), prepared: what a subject
 * without an account (an unknown login name, a reset address) does where an account records its
 * failed guess's events (one insert statement), so both answers cost the same kind of work (a
 * write and its commit), not one a write more than the other.
 */
export async function touchCounter(db: Db | Tx, key: { unknownLogin: string } | { unknownSubject: string }): Promise<void> {
  await runPrepared(db, TOUCH_UNKNOWN_COUNTER, ['unknownLogin' in key ? key.unknownLogin : key.unknownSubject]);
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

/**
 * Sweep: counters with no failure since `before`, one rule for both tables (accounts and names
 * without one), so the sweep itself tells nothing. A row with no failure at all is no different
 * from no row; an older one has outlived every wait it can impose (see src/sweep/constants.ts).
 */
export async function deleteQuietCounters(db: Db, before: Date): Promise<number> {
  let deleted = 0;
  for (const table of ['guess_counters', 'unknown_login_counters']) {
    deleted += await deleteInBatches(db, table, (query) => query.whereNull('last_failure_at').orWhere('last_failure_at', '<', before));
  }
  return deleted;
}
