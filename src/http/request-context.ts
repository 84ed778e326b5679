import type { Request } from 'express';
import { addressLimitKey } from '../address-limits/client-address.js';

/** Who is on the other end of the request: recorded with sessions and security events. */
export interface ClientInfo {
  /** The client address as the per-address limits see it (IPv4, or the IPv6 /64). */
  address: string | null;
  userAgent: string | null;
}

/** Longest user agent kept: enough to tell browsers and apps apart, not a storage sink. */
const MAX_USER_AGENT_LENGTH = 512;

export function clientInfoOf(req: Request): ClientInfo {
  const userAgent = req.headers['user-agent'];
  return {
    address: req.ip ? addressLimitKey(req.ip) : null,
    userAgent: userAgent ? userAgent.slice(0, MAX_USER_AGENT_LENGTH) : null,
  };
}

const NO_CLIENT: ClientInfo = Object.freeze({ address: null, userAgent: null });

/**
 * The client of the request a context belongs to (`Deps.client`); outside a request (operator
 * commands) nothing is known. Carried in the per-request deps rather than an AsyncLocalStorage:
 * on Node 20 one AsyncLocalStorage puts a promise hook on every promise of the process, about 12 %
 * of the event loop's CPU per token check (issue 13's bench, loop µs 714 → 627 per validate).
 */
export function clientOf(context: { client?: ClientInfo }): ClientInfo {
  return context.client ?? NO_CLIENT;
}
