import type { RequestHandler, Response } from 'express';
import type { HashLimiter, HashPermit } from '../crypto/hash-limiter.js';
import type { Deps } from '../deps.js';
import { defineErrors } from './errors.js';
import { apiResponseHeaders } from './response-headers.js';
import type { OperationId } from './operation-id.js';
import { operationRoutes, type SpecPaths } from './operation-routes.js';

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

/** "METHOD /path" → operationId of each hashing operation (see operationRoutes). */
export const hashingRoutes = (spec: SpecPaths) => operationRoutes(spec, HASHING_OPERATIONS);

/**
 * Admission to hashing ahead of body parsing and the request validator: under a flood of 200
 * connections that retry at once, the 503 path is most of what the event loop does, so it must
 * cost as little as possible (every database round trip of a token check waits behind the shed
 * requests of one event-loop turn; see the README's flood numbers). The permit waits in `res.locals` for the resolver and is released when
 * the request ends, also when validation refuses it.
 */
export function hashAdmission(deps: Pick<Deps, 'hashLimiter'>, routes: Map<string, string>): RequestHandler {
  return (req, res, next) => {
    const operationId = routes.get(`${req.method} ${req.path}`);
    if (!operationId) return next();
    const permit = deps.hashLimiter.tryAdmit();
    if (!permit) {
      // What the skipped stack would have given the answer: the API's headers, and the operation
      // for the request metrics (the validator, which names it otherwise, never sees this request).
      Object.assign(req, { openapi: { schema: { operationId } } });
      // Closing the connection makes a client that resends at once reconnect first: measured, it
      // cut the 503s a closed-loop flood costs the event loop by an order of magnitude.
      res.setHeader('Connection', 'close');
      return apiResponseHeaders(req, res, () => next(busyErrors('SERVER_BUSY', { retryAfter: SERVER_BUSY_RETRY_AFTER_S })));
    }
    res.locals.hashPermit = permit;
    res.once('close', () => permit.release());
    next();
  };
}

/** The permit hashAdmission took for this request, or one taken now (a path spelled differently). */
export function admittedPermit(res: Response, limiter: HashLimiter): HashPermit {
  return (res.locals.hashPermit as HashPermit | undefined) ?? admitHashing(limiter);
}

/** The permit the resolver admitted this hashing operation with. */
export function hashPermitOf(ctx: { hashPermit?: HashPermit }): HashPermit {
  // Only reachable when an operation that hashes is missing from HASHING_OPERATIONS.
  if (!ctx.hashPermit) throw new Error('a hashing operation ran without admission (HASHING_OPERATIONS)');
  return ctx.hashPermit;
}
