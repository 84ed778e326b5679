import { join } from 'node:path';
import pg from 'pg';
import type { Config } from '../config/index.js';
import { startEmbeddedPostgres, type EmbeddedServer } from './embedded.js';

const EMBEDDED_DATABASE = 'smartgridone_auth';

/**
 * DATABASE_URL when given; otherwise an embedded PostgreSQL kept under `<dataDir>/pg`, so a bare
 * machine needs nothing else.
 */
export async function resolveDatabaseUrl(config: Config, onLog?: (line: string) => void): Promise<{ url: string; embedded?: EmbeddedServer }> {
  if (config.databaseUrl) return { url: config.databaseUrl };
  const embedded = await startEmbeddedPostgres({ dataDir: join(config.dataDir, 'pg'), persistent: true, onLog });
  const admin = new pg.Client({ connectionString: embedded.url });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [EMBEDDED_DATABASE]);
    if (!rowCount) await admin.query(`create database ${EMBEDDED_DATABASE}`);
  } finally {
    await admin.end();
  }
  return { url: embedded.url.replace(/\/postgres$/, `/${EMBEDDED_DATABASE}`), embedded };
}
