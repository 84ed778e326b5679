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

/**
 * Instances of a new deployment start together and each migrates at start. On an empty database
 * they race to create knex's own tables (42P07 duplicate_table, 23505 on the type's name), and two
 * could each insert a lock row, which would lock migrations for good (knex wants exactly one).
 * So the tables and the one lock row (index 1, ON CONFLICT DO NOTHING) are made here first, a
 * lost creation race is retried a bounded number of times, and from then on knex's lock row
 * serialises the migrations themselves (a row lock: fine through PgBouncer in transaction mode).
 */
const MIGRATION_RACE_CODES = new Set(['42P07', '42710', '23505']);
const MIGRATION_ATTEMPTS = 10;
const MIGRATION_RETRY_MS = 300;

function isMigrationRace(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  return MIGRATION_RACE_CODES.has(String(e?.code)) || /Migration table is already locked/.test(String(e?.message));
}

/** knex's own tables, as knex would create them, and its single lock row. */
async function ensureMigrationTables(db: Db): Promise<void> {
  await db.raw('create table if not exists knex_migrations (id serial primary key, name varchar(255), batch integer, migration_time timestamptz)');
  await db.raw('create table if not exists knex_migrations_lock (index serial primary key, is_locked integer)');
  await db.raw('insert into knex_migrations_lock (index, is_locked) values (1, 0) on conflict (index) do nothing');
}

export async function migrateLatest(db: Db): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await ensureMigrationTables(db);
      await db.migrate.latest({ migrationSource });
      return;
    } catch (err) {
      if (attempt >= MIGRATION_ATTEMPTS || !isMigrationRace(err)) throw err;
      await new Promise((resolve) => setTimeout(resolve, MIGRATION_RETRY_MS * attempt));
    }
  }
}

/** True when every migration this build knows of has been applied. */
export async function isMigrated(db: Db): Promise<boolean> {
  const [, pending] = (await db.migrate.list({ migrationSource })) as [unknown[], unknown[]];
  return pending.length === 0;
}
