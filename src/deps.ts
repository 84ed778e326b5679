import type { Logger } from 'pino';
import type { Config } from './config/index.js';
import type { Db } from './db/knex.js';
import type { TokenKeys } from './tokens/keys.js';
import type { Metrics } from './ops/metrics.js';
import type { MailDeps } from './mail/index.js';
import type { HashLimiter } from './crypto/hash-limiter.js';
import type { Lifecycle } from './ops/lifecycle.js';
import type { ClientInfo } from './http/request-context.js';

/** Milliseconds since the epoch; injected so tests move time instead of sleeping. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Everything a handler may use; built once in main.ts (or by a test) and passed to createApp. */
export interface Deps {
  config: Config;
  db: Db;
  clock: Clock;
  log: Logger;
  keys: TokenKeys;
  metrics: Metrics;
  /** Mail configurations (templates), disposable-domain list, outbox wake-up (src/mail). */
  mail: MailDeps;
  /** Bounds concurrent password hashing (HASH_CONCURRENCY, HASH_QUEUE); past it, 503 SERVER_BUSY. */
  hashLimiter: HashLimiter;
  /** openapi.yaml as text, served at GET /openapi.yaml. */
  specText: string;
  /** Draining on SIGTERM: /readyz answers 503 (src/ops/lifecycle.ts). */
  lifecycle: Lifecycle;
  /**
   * The client of the request being answered (its deps are the service's plus this, made per
   * request in src/http/operations.ts); absent outside a request (operator commands).
   */
  client?: ClientInfo;
}

/** What writes a security event or a session needs: the time, and who is on the other end. */
export type EventContext = Pick<Deps, 'clock' | 'client'>;
