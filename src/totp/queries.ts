import type { Db, Tx } from '../db/knex.js';
import { preparedStatement, runPrepared } from '../db/prepared.js';
import { guessAllowedSql, type GuessCounter } from '../backoff/queries.js';
import type { SessionGate } from '../sessions/queries.js';

export interface TotpFactor {
  /** The active secret (sealed), null until a secret was first enabled. */
  secretEnc: string | null;
  completedAt: Date | null;
  lastUsedStep: number | null;
  /** A secret from setup waiting for its first code (sealed). */
  pendingSecretEnc: string | null;
}

const columns = ['secret_enc', 'completed_at', 'last_used_step', 'pending_secret_enc'] as const;
const toFactor = (row: Record<string, any>): TotpFactor => ({
  secretEnc: row.secret_enc,
  completedAt: row.completed_at,
  lastUsedStep: row.last_used_step,
  pendingSecretEnc: row.pending_secret_enc,
});

export async function findTotpFactor(db: Db | Tx, userId: string): Promise<TotpFactor | undefined> {
  const row = await db('totp_factors').where({ user_id: userId }).first(columns);
  return row ? toFactor(row) : undefined;
}

/** Reads and locks the row until the transaction ends (a concurrent setup waits). */
export async function lockTotpFactor(trx: Tx, userId: string): Promise<TotpFactor | undefined> {
  const row = await trx('totp_factors').where({ user_id: userId }).forUpdate().first(columns);
  return row ? toFactor(row) : undefined;
}

/** Stores a new pending secret; the active one (if any) is untouched until the new one is enabled. */
export async function upsertPendingTotp(db: Db | Tx, userId: string, pendingSecretEnc: string, now: Date): Promise<void> {
  await db('totp_factors')
    .insert({ user_id: userId, pending_secret_enc: pendingSecretEnc, pending_created_at: now })
    .onConflict('user_id')
    .merge({ pending_secret_enc: pendingSecretEnc, pending_created_at: now });
}

/**
 * Claims a time step for the user: the guarded UPDATE succeeds only if no equal or later step
 * was accepted before, so of any number of concurrent uses of one code exactly one wins.
 */
export async function claimTotpStep(db: Db | Tx, userId: string, step: number): Promise<boolean> {
  const rows = await db('totp_factors')
    .where({ user_id: userId })
    .whereRaw('coalesce(last_used_step, -1) < ?', [step])
    .update({ last_used_step: step })
    .returning('user_id');
  return rows.length === 1;
}

/** Pending → active (the previous active secret is replaced only now). */
export async function activatePendingTotp(trx: Tx, userId: string, now: Date): Promise<boolean> {
  const rows = await trx('totp_factors')
    .where({ user_id: userId })
    .whereNotNull('pending_secret_enc')
    .update({ secret_enc: trx.ref('pending_secret_enc'), completed_at: now, pending_secret_enc: null, pending_created_at: null })
    .returning('user_id');
  return rows.length === 1;
}

/**
 * Turns TOTP off (active and pending secret gone). The row stays with its last_used_step, so a
 * step accepted before is still never accepted again. False when TOTP was not active.
 */
export async function deactivateTotp(trx: Tx, userId: string): Promise<boolean> {
  const rows = await trx('totp_factors')
    .where({ user_id: userId })
    .whereNotNull('completed_at')
    .update({ secret_enc: null, completed_at: null, pending_secret_enc: null, pending_created_at: null })
    .returning('user_id');
  return rows.length === 1;
}

/*
 * The TOTP step of a login (a partial token, no session yet) in two statements, no transaction
 * (issue 13: it made six round trips, BEGIN to COMMIT). First a read: the token's user row, the
 * factor and the guess counter. Then, with the code checked against the secret on the event
 * loop, the session statement with TOTP_LOGIN_GATE folded in, which re-decides everything on the
 * rows' newest versions: the counter (locked first, the order every method change and guess takes
 * them in: counter, factor, user row), the step claim on the factor, the user row FOR SHARE, the
 * counter's reset, and only then the session.
 */

const TOTP_LOGIN_STATE = preparedStatement(
  'totp_login_state',
  `select u.id is not null as caller_ok, f.secret_enc, f.completed_at, c.failures, c.last_failure_at
     from (select) as one
     left join users u on u.id = ? and u.password_changed_at = ? and u.disabled_at is null
     left join totp_factors f on f.user_id = u.id
     left join guess_counters c on c.user_id = u.id and c.factor = 'totp'`,
);

export interface TotpLoginState {
  /** The user exists, is enabled and still has the password change time the token carries. */
  callerOk: boolean;
  /** The active secret (sealed), undefined unless TOTP is on. */
  activeSecretEnc: string | undefined;
  counter: GuessCounter;
}

/** What a TOTP login step is checked against, read in one statement that commits nothing. */
export async function findTotpLoginState(db: Db, caller: { userId: string; passwordChangedAt: number }): Promise<TotpLoginState> {
  const [row] = await runPrepared<{ caller_ok: boolean; secret_enc: string | null; completed_at: Date | null; failures: number | null; last_failure_at: Date | null }>(
    db,
    TOTP_LOGIN_STATE,
    [caller.userId, new Date(caller.passwordChangedAt)],
  );
  return {
    callerOk: row!.caller_ok,
    activeSecretEnc: row!.completed_at && row!.secret_enc ? row!.secret_enc : undefined,
    counter: { failures: row!.failures ?? 0, lastFailureAt: row!.last_failure_at },
  };
}

/** What TOTP_LOGIN_GATE reads back: whether the counter let the guess through, and whether the step was claimed. */
export type TotpLoginGated = { guess_allowed: boolean; step_claimed: boolean };

const TOTP_LOGIN_GATE_SQL = {
  name: 'totp_login',
  // Each CTE names the one before it in its condition, which fixes the order the rows are locked
  // in: counter, factor, user row. The counter may not exist (no failure yet): then nothing waits.
  ctes: `counter as (select failures, last_failure_at from guess_counters where user_id = ? and factor = 'totp' for update),
     allowed as (select not exists (select 1 from counter c where not (${guessAllowedSql('c', '?::timestamptz')})) as ok),
     step as (
       update totp_factors set last_used_step = ?
        where user_id = ? and completed_at is not null and secret_enc = ? and coalesce(last_used_step, -1) < ? and (select ok from allowed)
       returning 1
     ), caller as (
       select 1 from users where id = ? and password_changed_at = ? and disabled_at is null and exists (select 1 from step) for share
     ), reset as (
       update guess_counters set failures = 0, last_failure_at = null
        where user_id = ? and factor = 'totp' and failures > 0 and exists (select 1 from caller)
     )`,
  allows: 'exists (select 1 from caller)',
  columns: '(select ok from allowed) as guess_allowed, exists (select 1 from step) as step_claimed',
};

/**
 * The gate of a TOTP login's session: the guess is still allowed by the counter (locked, newest
 * version), the code's `step` is claimed on the factor, which must still be on with the secret
 * `sealed` the code was checked against (a removal or a new secret meanwhile: no claim), the user
 * row FOR SHARE still carries the token's password change time, and the counter is reset.
 */
export function totpLoginGate(claim: { userId: string; passwordChangedAt: number; sealed: string; step: number; now: Date }): SessionGate {
  const { userId } = claim;
  return {
    ...TOTP_LOGIN_GATE_SQL,
    values: [userId, claim.now, claim.step, userId, claim.sealed, claim.step, userId, new Date(claim.passwordChangedAt), userId],
  };
}
