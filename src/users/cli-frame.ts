import { loadConfig, type Config } from '../config/index.js';
import { resolveDatabaseUrl } from '../db/connect.js';
import { createDb, type Db } from '../db/knex.js';

/** The service's database for one operator command (DATABASE_URL or the embedded one), closed after `work`. */
export async function withServiceDatabase<T>(work: (db: Db, config: Config) => Promise<T>): Promise<T> {
  const config = await loadConfig();
  const database = await resolveDatabaseUrl(config);
  const db = createDb(database.url, 2);
  try {
    return await work(db, config);
  } finally {
    await db.destroy();
    await database.embedded?.stop();
  }
}

/** Runs an operator command's main: exits with its code, or 1 with one line for an unexpected error. */
export function runCommand(main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error('error:', err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
