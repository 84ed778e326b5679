import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../src/db/embedded.js';
import { createDb, migrateLatest, type Db } from '../../src/db/knex.js';

export interface BenchDatabase {
  /** postgres:// URL of the bench's own database (the servers connect to it). */
  url: string;
  /** Where it runs, for the report. */
  where: string;
  /** The server's admin URL (the login-flood scenario makes a database of its own there). */
  adminUrl: string;
  db: Db;
  drop(): Promise<void>;
}

/** A fresh, migrated database on DATABASE_URL's server, or on an embedded PostgreSQL of its own. */
export async function createBenchDatabase(): Promise<BenchDatabase> {
  const dataDir = await mkdtemp(join(tmpdir(), 'sg1-bench-'));
  const embedded = process.env.DATABASE_URL ? undefined : await startEmbeddedPostgres({ dataDir, persistent: false, unsafeFast: true });
  const adminUrl = process.env.DATABASE_URL ?? embedded!.url;
  const name = `sg1_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = createDb(url.toString(), 4);
  await migrateLatest(db);
  const version = (await db.raw('show server_version')).rows[0].server_version as string;
  return {
    url: url.toString(),
    where: `${embedded ? 'embedded' : 'DATABASE_URL'} PostgreSQL ${version.split(' ')[0]}`,
    adminUrl,
    db,
    async drop() {
      await db.destroy();
      await admin.query(`drop database ${name} with (force)`);
      await admin.end();
      await embedded?.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
