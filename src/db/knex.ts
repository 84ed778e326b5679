import knex, { type Knex } from 'knex';
import pg from 'pg';
import type { Logger } from 'pino';
import { migrationSource } from './migrations/index.js';

// bigint (int8) columns such as outbox ids and TOTP steps fit in a JS number for this service's ranges.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

export type Db = Knex;
export type Tx = Knex.Transaction;

/**
 * How long a request waits for a pooled connection (and a new connection for its TCP/TLS
 * handshake) before it gives up: a database that is gone answers 503 in about this time, not
 * after knex's default 60 s.
 */
export const DB_ACQUIRE_TIMEOUT_MS = 2000;

export interface DbOptions {
  /** Pool size (DATABASE_POOL_MAX). */
  poolMax?: number;
  acquireTimeoutMs?: number;
  /** Where knex's own warnings go (default: dropped; the failing request logs its error once). */
  log?: Pick<Logger, 'warn'>;
}

/** knex's warnings carry a stack trace (one per failed connection attempt in an outage): keep the first line. */
const firstLine = (message: unknown) => String(message).split('\n')[0];

export function createDb(url: string, options: DbOptions | number = {}): Db {
  const { poolMax = 10, acquireTimeoutMs = DB_ACQUIRE_TIMEOUT_MS, log } = typeof options === 'number' ? { poolMax: options } : options;
  return knex({
    client: 'pg',
    connection: { connectionString: url, connectionTimeoutMillis: acquireTimeoutMs },
    pool: { min: 0, max: poolMax },
    acquireConnectionTimeout: acquireTimeoutMs,
    // knex would otherwise put the SQL with its bound values (rendered mails, codes, hashes) into
    // err.message, which the error handler logs.
    compileSqlOnError: false,
    log: {
      warn: (message: unknown) => log?.warn({ knex: firstLine(message) }, 'database warning'),
      error: (message: unknown) => log?.warn({ knex: firstLine(message) }, 'database error'),
      deprecate: () => undefined,
      debug: () => undefined,
    },
  });
}

export async function migrateLatest(db: Db): Promise<void> {
  await db.migrate.latest({ migrationSource });
}

/** True when every migration this build knows of has been applied. */
export async function isMigrated(db: Db): Promise<boolean> {
  const [, pending] = (await db.migrate.list({ migrationSource })) as [unknown[], unknown[]];
  return pending.length === 0;
}
