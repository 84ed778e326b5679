import type { HashLimiter, HashPermit } from '../crypto/hash-limiter.js';
import { defineErrors } from './errors.js';
import type { OperationId } from './registry.js';

/** The operations that hash a password (contract § "Service-wide answers (turn 2)"). */
export const HASHING_OPERATIONS: ReadonlySet<string> = new Set<OperationId>(['login', 'updatePasswordViaOtp', 'updatePasswordViaSudo']);

const busyErrors = defineErrors({ SERVER_BUSY: 503 });

/** A shed request may come back soon: the queue it met drains in a few hash times. */
export const SERVER_BUSY_RETRY_AFTER_S = 1;

/** Admission to hashing: a permit, or 503 SERVER_BUSY with Retry-After when every slot and the queue are taken. */
export function admitHashing(limiter: HashLimiter): HashPermit {
  const permit = limiter.tryAdmit();
  if (!permit) throw busyErrors('SERVER_BUSY', { retryAfter: SERVER_BUSY_RETRY_AFTER_S });
  return permit;
}

/** The permit the resolver admitted this hashing operation with. */
export function hashPermitOf(ctx: { hashPermit?: HashPermit }): HashPermit {
  // Only reachable when an operation that hashes is missing from HASHING_OPERATIONS.
  if (!ctx.hashPermit) throw new Error('a hashing operation ran without admission (HASHING_OPERATIONS)');
  return ctx.hashPermit;
}
