import { AsyncLocalStorage } from 'node:async_hooks';
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

const storage = new AsyncLocalStorage<ClientInfo>();

export function clientInfoOf(req: Request): ClientInfo {
  const userAgent = req.headers['user-agent'];
  return {
    address: req.ip ? addressLimitKey(req.ip) : null,
    userAgent: userAgent ? userAgent.slice(0, MAX_USER_AGENT_LENGTH) : null,
  };
}

/**
 * Runs an operation with its client known to everything it calls. A request-scoped store rather
 * than a parameter through every service: sessions and events are written deep in the flows of
 * other capabilities, which need not carry the request for it.
 */
export function withClient<T>(client: ClientInfo, work: () => Promise<T>): Promise<T> {
  return storage.run(client, work);
}

/** The current request's client; outside a request (operator commands) nothing is known. */
export function currentClient(): ClientInfo {
  return storage.getStore() ?? { address: null, userAgent: null };
}
