import type { Request } from 'express';
import type { Deps } from '../deps.js';
import { secondsUntil } from '../http/errors.js';
import { addressLimitKey } from './client-address.js';
import { LIMITED_OPERATIONS, type LimitedOperation } from './constants.js';
import { addressLimitError } from './errors.js';
import { takeAddressToken } from './queries.js';

type GuardDeps = Pick<Deps, 'config' | 'db' | 'clock'>;

const isLimited = (operationId: string): operationId is LimitedOperation => (LIMITED_OPERATIONS as string[]).includes(operationId);

/**
 * The per-address check of one operation, or undefined when the operation is not limited (not in
 * ADDRESS_LIMIT_DEFAULTS, or turned off). It runs after request validation and before the token
 * check and the handler, so a refused request costs one upsert: no hash, no mail, no code check.
 */
export function addressLimitGuard(deps: GuardDeps, operationId: string | undefined): ((req: Request) => Promise<void>) | undefined {
  if (!operationId || !isLimited(operationId)) return undefined;
  const budget = deps.config.addressLimits[operationId];
  if (!budget) return undefined;
  return async (req) => {
    const now = deps.clock.now();
    const taken = await takeAddressToken(deps.db, operationId, addressLimitKey(req.ip), budget, now);
    if (!taken.allowed) throw addressLimitError('TOO_MANY_REQUESTS', { retryAfter: Math.max(1, secondsUntil(now + taken.retryAfterMs, now)) });
  };
}
