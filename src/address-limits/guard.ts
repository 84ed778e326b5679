import type { Request, RequestHandler } from 'express';
import type { Deps } from '../deps.js';
import { secondsUntil } from '../http/errors.js';
import { addressLimitKey } from './client-address.js';
import { LIMITED_OPERATIONS, type LimitedOperation } from './constants.js';
import { addressLimitError } from './errors.js';
import { takeAddressToken } from './queries.js';
import { apiResponseHeaders } from '../http/response-headers.js';
import { operationRoutes, type SpecPaths } from '../http/operation-routes.js';

type GuardDeps = Pick<Deps, 'config' | 'db' | 'clock'>;

const isLimited = (operationId: string): operationId is LimitedOperation => (LIMITED_OPERATIONS as string[]).includes(operationId);

/** Most addresses one instance remembers as refused per operation: a bound on memory, not on correctness. */
const MAX_REMEMBERED_REFUSALS = 10_000;

/**
 * Addresses the shared budget refused, and until when (this instance's memory). Within that
 * time the database would refuse them too: a token bucket refills only with time, and other
 * instances' requests only take from it. So a request of a refused address is answered at once,
 * without a query: a flood from one address over its limit never takes a pooled database
 * connection from anyone else. Forgetting an entry early is harmless (the next request asks the
 * database again).
 */
class RefusalMemory {
  private readonly refusals = new Map<string, { at: number; until: number }>();

  /** Until when `address` is refused, if remembered; a clock that went back since forgets (the database decides then). */
  refusedUntil(address: string, now: number): number | undefined {
    const refusal = this.refusals.get(address);
    if (refusal === undefined) return undefined;
    if (refusal.at <= now && now < refusal.until) return refusal.until;
    this.refusals.delete(address);
    return undefined;
  }

  remember(address: string, until: number, now: number): void {
    if (this.refusals.size >= MAX_REMEMBERED_REFUSALS) {
      for (const [key, value] of this.refusals) if (value.until <= now) this.refusals.delete(key);
      // Still full of live refusals: forget the oldest (a Map iterates in insertion order).
      if (this.refusals.size >= MAX_REMEMBERED_REFUSALS) this.refusals.delete(this.refusals.keys().next().value!);
    }
    this.refusals.set(address, { at: now, until });
  }
}

/** One check of one operation's budget: resolves when the request may go on, throws 429 otherwise. */
export type AddressGuard = (req: Request) => Promise<void>;

export interface AddressLimits {
  /**
   * The per-address check of one operation, or undefined when the operation is not limited (not
   * in ADDRESS_LIMIT_DEFAULTS, or turned off). It runs after request validation and before the
   * token check and the handler, so a refused request costs at most one upsert: no hash, no
   * mail, no code check.
   */
  guard(operationId: string | undefined): AddressGuard | undefined;
  /**
   * Ahead of body parsing, hash admission and the validator: a request of an address this
   * instance remembers as refused is answered 429 at once, and its connection closed (a client
   * that resends at once must reconnect first). A flood over its limit then costs about what a
   * shed 503 costs (src/http/hash-admission.ts).
   */
  early(spec: SpecPaths): RequestHandler;
}

export function createAddressLimits(deps: GuardDeps): AddressLimits {
  const memories = new Map<LimitedOperation, RefusalMemory>();
  const budgetOf = (operationId: string | undefined) => (operationId && isLimited(operationId) ? deps.config.addressLimits[operationId] : undefined);
  const memoryOf = (operationId: LimitedOperation) => {
    let memory = memories.get(operationId);
    if (!memory) memories.set(operationId, (memory = new RefusalMemory()));
    return memory;
  };
  const refuse = (until: number, now: number) => addressLimitError('TOO_MANY_REQUESTS', { retryAfter: Math.max(1, secondsUntil(until, now)) });

  return {
    guard(operationId) {
      const budget = budgetOf(operationId);
      if (!budget) return undefined;
      const operation = operationId as LimitedOperation;
      const refusals = memoryOf(operation);
      return async (req) => {
        const now = deps.clock.now();
        const address = addressLimitKey(req.ip);
        const remembered = refusals.refusedUntil(address, now);
        if (remembered !== undefined) throw refuse(remembered, now);
        const taken = await takeAddressToken(deps.db, operation, address, budget, now);
        if (!taken.allowed) {
          refusals.remember(address, now + taken.retryAfterMs, now);
          throw refuse(now + taken.retryAfterMs, now);
        }
      };
    },
    early(spec) {
      const limited = new Set(LIMITED_OPERATIONS.filter((operation) => budgetOf(operation)));
      const routes = operationRoutes(spec, limited);
      return (req, res, next) => {
        const operationId = routes.get(`${req.method} ${req.path}`) as LimitedOperation | undefined;
        if (!operationId) return next();
        const now = deps.clock.now();
        const until = memoryOf(operationId).refusedUntil(addressLimitKey(req.ip), now);
        if (until === undefined) return next();
        // What the skipped stack would have given the answer (as a shed 503 does).
        Object.assign(req, { openapi: { schema: { operationId } } });
        res.setHeader('Connection', 'close');
        apiResponseHeaders(req, res, () => next(refuse(until, now)));
      };
    },
  };
}
