import type { Deps } from '../deps.js';
import type { Tx } from '../db/knex.js';
import { hmacSha256, safeEqual } from '../crypto/hash.js';
import { numericCode } from '../crypto/random.js';
import { lockCounter, recordFailure, resetCounter, type CounterKey } from '../backoff/queries.js';
import { recordFailedGuess } from '../security-events/guesses.js';
import { CODE_LENGTH, CODE_TTL_MS, FAILURE_WINDOW_MS, MAX_FAILED_ATTEMPTS, MAX_FAILURES_PER_DAY, type CodePurpose } from './constants.js';
import { countFailedAttempt, deleteCode, lockCode, upsertCode } from './queries.js';

type CodeDeps = Pick<Deps, 'config' | 'clock' | 'client'>;

/** Keyed hash: a database dump alone does not let anyone test the 10^6 candidates. */
function hashCode(deps: CodeDeps, userId: string, purpose: CodePurpose, code: string): Buffer {
  return hmacSha256(deps.config.codeHashKey, 'one-time-code', purpose, userId, code);
}

/** A fresh code from the CSPRNG, for callers that must render its mail before storing it (pass it to issueCode). */
export function newCode(): string {
  return numericCode(CODE_LENGTH);
}

/**
 * Creates (or replaces) the user's code for this purpose inside the caller's transaction; returns the plain code to mail.
 * `code` lets a caller that rendered the mail first (so a missing template fails before anything is written) store that code.
 */
export async function issueCode(
  trx: Tx,
  deps: CodeDeps,
  userId: string,
  purpose: CodePurpose,
  targetEmail: string | null = null,
  code: string = newCode(),
): Promise<string> {
  const now = deps.clock.now();
  await upsertCode(trx, {
    userId,
    purpose,
    codeHash: hashCode(deps, userId, purpose, code),
    targetEmail,
    now: new Date(now),
    expiresAt: new Date(now + CODE_TTL_MS),
  });
  return code;
}

export type CodeCheck = { valid: true; targetEmail: string | null } | { valid: false };

/**
 * Whose code is checked: an account, or an address with no account (`unknownKey`, an HMAC of it),
 * whose check runs the same statements against a code row that cannot exist and a counter of its own.
 */
export type CodeSubject = { userId: string } | { unknownKey: string };

/** Stands in for a user id when a subject has no account: no code row can carry it. */
const NO_USER_ID = '00000000-0000-0000-0000-000000000000';

/**
 * Checks a code under a row lock, inside the caller's transaction. Every wrong check is counted
 * (a wrong code, and also one for an expired, burned or absent code): the caller must COMMIT and
 * then answer 401, so the count sticks (return the result from the transaction, throw after it).
 * So every failed check is the same statements and one committed write, whatever the reason, and
 * an address without an account (`unknownKey`) takes exactly that path too. With `consume`, a
 * right code is deleted: one code, one use.
 */
export async function checkCode(
  trx: Tx,
  deps: CodeDeps,
  input: CodeSubject & { purpose: CodePurpose; code: string; consume: boolean },
): Promise<CodeCheck> {
  const now = deps.clock.now();
  const userId = 'userId' in input ? input.userId : NO_USER_ID;
  // Counter before code row: the order every code check takes its locks in.
  const counterKey: CounterKey = 'userId' in input ? { userId, factor: `code:${input.purpose}` } : { unknownSubject: `${input.purpose}:${input.unknownKey}` };
  const counter = await lockCounter(trx, counterKey);
  const windowOpen = counter.lastFailureAt !== null && now - counter.lastFailureAt.getTime() < FAILURE_WINDOW_MS;
  if (windowOpen && counter.failures >= MAX_FAILURES_PER_DAY) return { valid: false };

  const stored = await lockCode(trx, userId, input.purpose);
  const live = stored !== undefined && stored.expiresAt.getTime() > now && stored.failedAttempts < MAX_FAILED_ATTEMPTS;
  // The HMAC is computed for every check, also when there is nothing to compare it with.
  const matches = safeEqual(live ? stored.codeHash : NO_CODE_HASH, hashCode(deps, userId, input.purpose, input.code)) && live;
  if (!matches) {
    await countFailedAttempt(trx, userId, input.purpose); // no row for an absent code: 0 rows, same statement
    if (!windowOpen) await resetCounter(trx, counterKey);
    await recordFailure(trx, counterKey, new Date(now));
    if ('userId' in counterKey) await recordFailedGuess(trx, deps, { ...counterKey, failuresBefore: windowOpen ? counter.failures : 0 });
    return { valid: false };
  }
  if (counter.failures > 0) await resetCounter(trx, counterKey);
  if (input.consume) await deleteCode(trx, userId, input.purpose);
  return { valid: true, targetEmail: stored.targetEmail };
}

/** Compared with when no live code exists: an HMAC never equals it (32 zero bytes). */
const NO_CODE_HASH = Buffer.alloc(32);
