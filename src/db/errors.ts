/**
 * Tells "the database cannot be reached right now" (the service should answer 503 and the client
 * retry) from every other database error (a bug or a broken row: 500). Only connection-level
 * failures count; a constraint violation or a syntax error is never an outage.
 */

/** Socket-level failures of connecting to or talking with the server. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/**
 * SQLSTATEs of a server that is going away or refusing sessions: 57P01 admin_shutdown,
 * 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up, shutting down, recovery),
 * 53300 too_many_connections. Class 08 (connection exceptions) is matched by prefix.
 */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);

/** Messages of pg and knex for a connection that ended or could not be had in time. */
const UNAVAILABLE_MESSAGES = [
  // pg: server closed the socket, or connectionTimeoutMillis expired; knex prefixes a query's
  // error with its SQL ("select … - Connection terminated unexpectedly" on a pooled connection
  // the server just terminated).
  /(^| - )Connection terminated/,
  /^Knex: Timeout acquiring a connection/, // knex: acquireConnectionTimeout
  /^timeout expired$/, // pg: connect timeout
  /Client has encountered a connection error and is not queryable/,
  /Connection ended unexpectedly/,
];

interface MaybeDbError {
  name?: unknown;
  code?: unknown;
  severity?: unknown;
  message?: unknown;
  cause?: unknown;
}

function isUnavailable(err: MaybeDbError): boolean {
  if (err.name === 'KnexTimeoutError') return true;
  const code = typeof err.code === 'string' ? err.code : '';
  if (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || /^08[0-9A-Z]{3}$/.test(code)) return true;
  // 55000 object_not_in_prerequisite_state is a connection refusal only as a FATAL at connect
  // ("database … is not currently accepting connections", ALLOW_CONNECTIONS false).
  if (code === '55000' && err.severity === 'FATAL') return true;
  const message = typeof err.message === 'string' ? err.message : '';
  return UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(message));
}

/** True when `err` (or an error it wraps) says the database is unreachable or refusing connections. */
export function isDatabaseUnavailable(err: unknown): boolean {
  return check(err, 0);
}

function check(err: unknown, depth: number): boolean {
  if (typeof err !== 'object' || err === null || depth > 4) return false;
  if (isUnavailable(err as MaybeDbError)) return true;
  // Node's connect to a dual-stack host fails with an AggregateError of each address's error.
  const inner = err instanceof AggregateError ? err.errors : [];
  return check((err as MaybeDbError).cause, depth + 1) || inner.some((e) => check(e, depth + 1));
}

/** What a client is told to wait before retrying while the database is away (seconds). */
export const DB_UNAVAILABLE_RETRY_AFTER_S = 5;
