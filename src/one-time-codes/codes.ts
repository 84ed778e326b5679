import type { Deps } from '../deps.js';
import type { Tx } from '../db/knex.js';
import { hmacSha256, safeEqual } from '../crypto/hash.js';
import { numericCode } from '../crypto/random.js';
import { lockCounter, recordFailure, resetCounter } from '../backoff/queries.js';
import { CODE_LENGTH, CODE_TTL_MS, FAILURE_WINDOW_MS, MAX_FAILED_ATTEMPTS, MAX_FAILURES_PER_DAY, type CodePurpose } from './constants.js';
import { countFailedAttempt, deleteCode, lockCode, upsertCode } from './queries.js';

type CodeDeps = Pick<Deps, 'config' | 'clock'>;

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
 * Checks a code under a row lock, inside the caller's transaction. A wrong guess is counted
 * (the caller must COMMIT and then answer 401, so the count sticks: return the result from the
 * transaction, throw after it). With `consume`, a right code is deleted: one code, one use.
 */
export async function checkCode(
  trx: Tx,
  deps: CodeDeps,
  input: { userId: string; purpose: CodePurpose; code: string; consume: boolean },
): Promise<CodeCheck> {
  const now = deps.clock.now();
  // Counter before code row: the order every code check takes its locks in.
  const counterKey = { userId: input.userId, factor: `code:${input.purpose}` as const };
  const counter = await lockCounter(trx, counterKey);
  const windowOpen = counter.lastFailureAt !== null && now - counter.lastFailureAt.getTime() < FAILURE_WINDOW_MS;
  if (windowOpen && counter.failures >= MAX_FAILURES_PER_DAY) return { valid: false };

  const stored = await lockCode(trx, input.userId, input.purpose);
  if (!stored || stored.expiresAt.getTime() <= now || stored.failedAttempts >= MAX_FAILED_ATTEMPTS) {
    return { valid: false };
  }
  if (!safeEqual(stored.codeHash, hashCode(deps, input.userId, input.purpose, input.code))) {
    await countFailedAttempt(trx, input.userId, input.purpose);
    if (!windowOpen) await resetCounter(trx, counterKey);
    await recordFailure(trx, counterKey, new Date(now));
    return { valid: false };
  }
  if (counter.failures > 0) await resetCounter(trx, counterKey);
  if (input.consume) await deleteCode(trx, input.userId, input.purpose);
  return { valid: true, targetEmail: stored.targetEmail };
}

/**
 * The same work as a real check for an address that has no account: one HMAC and one
 * comparison, so the answer's timing does not tell the two apart.
 */
export function burnCodeCheck(deps: CodeDeps, code: string): void {
  safeEqual(hashCode(deps, '00000000-0000-0000-0000-000000000000', 'password_reset', code), Buffer.alloc(32));
}
