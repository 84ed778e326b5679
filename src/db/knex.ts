import knex, { type Knex } from 'knex';
import pg from 'pg';
import { migrationSource } from './migrations/index.js';

// bigint (int8) columns such as outbox ids and TOTP steps fit in a JS number for this service's ranges.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

export type Db = Knex;
export type Tx = Knex.Transaction;

export function createDb(url: string, poolMax = 10): Db {
  return knex({ client: 'pg', connection: url, pool: { min: 0, max: poolMax } });
}

export async function migrateLatest(db: Db): Promise<void> {
  await db.migrate.latest({ migrationSource });
}

/** True when every migration this build knows of has been applied. */
export async function isMigrated(db: Db): Promise<boolean> {
  const [, pending] = (await db.migrate.list({ migrationSource })) as [unknown[], unknown[]];
  return pending.length === 0;
}
