import { chown, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { start, unprivileged, waitFor, type Managed } from './processes.js';

export interface Pgbouncer {
  /** postgres://… of `database` through PgBouncer. */
  url: string;
  /** Transactions PgBouncer has carried for `database` (its admin console's SHOW STATS). */
  transactions(): Promise<number>;
  process: Managed;
  stop(): Promise<void>;
}

/**
 * PgBouncer in transaction pooling mode, as the README recommends in front of several
 * instances: a server connection is lent for one transaction only, so nothing may rely on
 * session state (prepared statements across transactions, advisory locks, LISTEN, SET).
 */
export async function startPgbouncer(options: { dir: string; port: number; upstream: URL; database: string; poolSize: number }): Promise<Pgbouncer> {
  const { dir, port, upstream, database } = options;
  const user = decodeURIComponent(upstream.username || 'postgres');
  const password = decodeURIComponent(upstream.password);
  const ini = join(dir, 'pgbouncer.ini');
  const users = join(dir, 'userlist.txt');
  await writeFile(users, `"${user}" "${password}"\n`);
  await writeFile(ini, [
    '[databases]',
    `${database} = host=${upstream.hostname} port=${upstream.port || 5432} dbname=${database} user=${user}${password ? ` password='${password}'` : ''}`,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    `unix_socket_dir =`,
    'auth_type = trust',
    `auth_file = ${users}`,
    'pool_mode = transaction',
    `default_pool_size = ${options.poolSize}`,
    'max_client_conn = 500',
    // The service's own pools already time out at 2 s; PgBouncer should not queue longer.
    'query_wait_timeout = 10',
    // Clients (the instances, on loopback) are trusted; PgBouncer logs in to PostgreSQL with the upstream's password.
    'admin_users = ' + user,
    'logfile =',
    '',
  ].join('\n'));
  const as = unprivileged();
  if (as) for (const file of [ini, users]) await chown(file, as.uid, as.gid);
  const process = start('pgbouncer', 'pgbouncer', [ini], as ? { uid: as.uid, gid: as.gid } : {});
  const url = `postgres://${encodeURIComponent(user)}@127.0.0.1:${port}/${database}`;
  await waitFor('PgBouncer accepting connections', async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('select 1');
    await client.end();
    return true;
  }, 10_000).catch((err) => {
    throw new Error(`${(err as Error).message}\n${process.output()}`);
  });
  const transactions = async () => {
    const admin = new pg.Client({ connectionString: `postgres://${encodeURIComponent(user)}@127.0.0.1:${port}/pgbouncer` });
    await admin.connect();
    try {
      const { rows } = await admin.query('SHOW STATS'); // the admin console speaks the simple protocol only
      return Number(rows.find((r) => r.database === database)?.total_xact_count ?? 0);
    } finally {
      await admin.end();
    }
  };
  return { url, process, transactions, stop: () => process.stop(3000) };
}
