import type { Db } from '../db/knex.js';
import { preparedStatement, runPrepared } from '../db/prepared.js';
import { CLAIM_ALLOWED_SQL } from '../backoff/queries.js';
import { ACTIVE_METHODS_SQL, type TwoFactorMethod } from '../two-factor/queries.js';
import type { SessionGate } from '../sessions/queries.js';
import { USER_COLUMNS, toUser, type UserRow } from '../users/queries.js';

/*
 * A password login's two statements (issue 13: it made nine round trips and three commits; now
 * two of each for a right password). Before the hash: the account and the guess's claim. After
 * it: the counter's reset, the 2FA check and the session (insertSessionOnRecentDevice's gate).
 */

const LOGIN_CLAIM = preparedStatement(
  'login_claim',
  `with u as (
     select ${USER_COLUMNS.join(', ')} from users where email = ?
   ), account_claim as (
     insert into guess_counters as c (user_id, factor, failures, last_failure_at)
     select id, 'password', 1, ? from u where password_hash is not null
     on conflict (user_id, factor) do update
       set failures = c.failures + 1, last_failure_at = excluded.last_failure_at
       where ${CLAIM_ALLOWED_SQL}
     returning failures
   ), name_claim as (
     insert into unknown_login_counters as c (key, failures, last_failure_at)
     select ?, 1, ? where not exists (select 1 from u)
     on conflict (key) do update
       set failures = c.failures + 1, last_failure_at = excluded.last_failure_at
       where ${CLAIM_ALLOWED_SQL}
     returning failures
   )
   select u.*, coalesce((select failures from account_claim), (select failures from name_claim)) as claimed
     from (select) as one left join u on true`,
);

/**
 * The account of a login name, and the claim of its guess (claimGuess, in the same statement): on
 * the account's password counter, or for a name with no account on `unknownLogin`'s. Either way
 * one upsert, so the two cost the same. An account without a password claims nothing (there is
 * no guess to count). `claimed` is claimGuess's answer (undefined: too early, nothing written).
 */
export async function claimLogin(
  db: Db,
  login: { email: string; unknownLogin: string; now: Date },
): Promise<{ user: UserRow | undefined; claimed: number | undefined }> {
  const [row] = await runPrepared<Record<string, any>>(db, LOGIN_CLAIM, [login.email, login.now, login.unknownLogin, login.now]);
  return { user: row!.id === null ? undefined : toUser(row!), claimed: row!.claimed ?? undefined };
}

/** What the password login's gate reads: each second factor's flag. */
export type LoginGated = Record<TwoFactorMethod, boolean>;

const LOGIN_GATE_SQL = {
  name: 'password_login',
  ctes: `methods as (select ${ACTIVE_METHODS_SQL.select}),
     reset as (update guess_counters set failures = 0, last_failure_at = null where user_id = ? and factor = 'password')`,
  allows: `not (select ${ACTIVE_METHODS_SQL.required} from methods)`,
  columns: ACTIVE_METHODS_SQL.names.map((name) => `(select "${name}" from methods) as "${name}"`).join(', '),
};

/**
 * The gate of a right password's session statement: the password counter's reset (always), and a
 * session only without 2FA (with it, the flags say which methods the partial token may use).
 */
export function passwordLoginGate(userId: string): SessionGate {
  return { ...LOGIN_GATE_SQL, values: [...Array<string>(ACTIVE_METHODS_SQL.userIdBindings).fill(userId), userId] };
}
