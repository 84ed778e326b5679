import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { Db, Tx } from './knex.js';

/**
 * The hottest statements (every token check, every refresh, the two of a password login) as named
 * prepared statements: PostgreSQL parses and plans each once per pooled connection instead of once
 * per request, and the query goes straight to the pooled `pg` client, past knex's query builder and
 * runner (issue 13: the check's statement cost PostgreSQL more CPU than the reference's bare
 * primary-key lookup). Outside a transaction each runs on its own and commits by itself.
 *
 * PgBouncer in transaction mode (before 1.21, or without max_prepared_statements) hands a
 * client's statements to any server connection, where a name prepared elsewhere is unknown; set
 * DATABASE_PREPARED_STATEMENTS=false there. Should one slip through anyway, the failing statement
 * is sent again as a plain query and the pool stops naming statements. That is safe for writes
 * too: both errors (an unknown name, a name taken) come before the statement runs.
 */
export interface PreparedStatement {
  name: string;
  /** The SQL with `?` placeholders, as knex.raw takes it (used inside a transaction). */
  knexSql: string;
  /** The same SQL with `$1…$n`, as PostgreSQL prepares it. */
  pgSql: string;
}

/**
 * A statement to prepare; `sql` uses knex's `?` placeholders (no `?` inside literals). The name carries
 * a digest of the SQL, so two versions of the service (a rolling deploy) never run each other's
 * statement under one name.
 */
export function preparedStatement(name: string, sql: string): PreparedStatement {
  let n = 0;
  const digest = createHash('sha256').update(sql).digest('hex').slice(0, 12);
  return { name: `${name}_${digest}`, knexSql: sql, pgSql: sql.replace(/\?/g, () => `$${++n}`) };
}

/** Pools that must not name statements: configured so, or found behind a pooler that forgets them. */
const unnamedPools = new WeakSet<Db>();

export function disablePreparedStatements(db: Db): void {
  unnamedPools.add(db);
}

/** Whether statements through `db` are still prepared (tests). */
export const namesStatements = (db: Db): boolean => !unnamedPools.has(db);

// 26000 invalid_sql_statement_name, 42P05 duplicate_prepared_statement: another server connection's names.
const FOREIGN_STATEMENT_CODES = new Set(['26000', '42P05']);

interface PgClient {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

/** The rows of `statement` for `values`: prepared on a pooled connection, or through the caller's transaction. */
export async function runPrepared<R>(db: Db | Tx, statement: PreparedStatement, values: unknown[]): Promise<R[]> {
  const pool = db as Db;
  if ((db as Tx).isTransaction || unnamedPools.has(pool)) return (await db.raw(statement.knexSql, values as Knex.RawBinding[])).rows;
  const client = pool.client as {
    acquireConnection(): Promise<PgClient>;
    releaseConnection(connection: PgClient): Promise<void>;
    emit(event: 'query', query: object): void;
  };
  const connection = await client.acquireConnection();
  // What knex tells its 'query' listeners about its own queries (the tests' round-trip counts).
  client.emit('query', { method: 'raw', sql: statement.pgSql, bindings: values, prepared: statement.name });
  let rows: unknown[];
  try {
    ({ rows } = await connection.query({ name: statement.name, text: statement.pgSql, values }));
  } catch (err) {
    if (!FOREIGN_STATEMENT_CODES.has(String((err as { code?: unknown }).code))) throw err;
    unnamedPools.add(pool);
    rows = [];
  } finally {
    await client.releaseConnection(connection);
  }
  // The pool just stopped naming statements: this statement goes again, plainly, on a fresh checkout.
  if (unnamedPools.has(pool)) return runPrepared(db, statement, values);
  return rows as R[];
}
