import { loadConfig } from '../config/index.js';
import { resolveDatabaseUrl } from './connect.js';
import { createDb, migrateLatest } from './knex.js';

/** npm run migrate: applies pending migrations to DATABASE_URL (or the embedded server). */
const config = await loadConfig();
const database = await resolveDatabaseUrl(config);
const db = createDb(database.url, 1);
try {
  await migrateLatest(db);
  console.log('migrations applied');
} finally {
  await db.destroy();
  await database.embedded?.stop();
}
