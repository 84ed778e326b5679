import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { Db, Tx } from './knex.js';

/**
 * The hottest reads (every token check, every refresh) as named prepared statements: PostgreSQL
 * parses and plans each once per pooled connection instead of once per request, and the query
 * goes straight to the pooled `pg` client, past knex's query builder and runner (issue 13: the
 * check's statement cost PostgreSQL more CPU than the reference's bare primary-key lookup).
 *
 * PgBouncer in transaction mode (before 1.21, or without max_prepared_statements) hands a
 * client's statements to any server connection, where a name prepared elsewhere is unknown; set
 * DATABASE_PREPARED_STATEMENTS=false there. Should one slip through anyway, the failing read is
 * answered by a plain query and the pool stops naming statements (a read is safe to repeat).
 */
export interface PreparedRead {
  name: string;
  /** The SQL with `?` placeholders, as knex.raw takes it (used inside a transaction). */
  knexSql: string;
  /** The same SQL with `$1…$n`, as PostgreSQL prepares it. */
  pgSql: string;
}

/**
 * A read to prepare; `sql` uses knex's `?` placeholders (no `?` inside literals). The name carries
 * a digest of the SQL, so two versions of the service (a rolling deploy) never run each other's
 * statement under one name.
 */
export function preparedRead(name: string, sql: string): PreparedRead {
  let n = 0;
  const digest = createHash('sha256').update(sql).digest('hex').slice(0, 12);
  return { name: `${name}_${digest}`, knexSql: sql, pgSql: sql.replace(/\?/g, () => `$${++n}`) };
}

/** Pools that must not name statements: configured so, or found behind a pooler that forgets them. */
const unnamedPools = new WeakSet<Db>();

export function disablePreparedStatements(db: Db): void {
  unnamedPools.add(db);
}

/** Whether reads through `db` are still prepared (tests). */
export const namesStatements = (db: Db): boolean => !unnamedPools.has(db);

// 26000 invalid_sql_statement_name, 42P05 duplicate_prepared_statement: another server connection's names.
const FOREIGN_STATEMENT_CODES = new Set(['26000', '42P05']);

interface PgClient {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

/** The rows of `read` for `values`: prepared on a pooled connection, or through the caller's transaction. */
export async function runPreparedRead<R>(db: Db | Tx, read: PreparedRead, values: unknown[]): Promise<R[]> {
  const pool = db as Db;
  if ((db as Tx).isTransaction || unnamedPools.has(pool)) return (await db.raw(read.knexSql, values as Knex.RawBinding[])).rows;
  const client = pool.client as {
    acquireConnection(): Promise<PgClient>;
    releaseConnection(connection: PgClient): Promise<void>;
    emit(event: 'query', query: object): void;
  };
  const connection = await client.acquireConnection();
  // What knex tells its 'query' listeners about its own queries (the tests' round-trip counts).
  client.emit('query', { method: 'raw', sql: read.pgSql, bindings: values, prepared: read.name });
  let rows: unknown[];
  try {
    ({ rows } = await connection.query({ name: read.name, text: read.pgSql, values }));
  } catch (err) {
    if (!FOREIGN_STATEMENT_CODES.has(String((err as { code?: unknown }).code))) throw err;
    unnamedPools.add(pool);
    rows = [];
  } finally {
    await client.releaseConnection(connection);
  }
  // The pool just stopped naming statements: this read goes again, plainly, on a fresh checkout.
  if (unnamedPools.has(pool)) return runPreparedRead(db, read, values);
  return rows as R[];
}
