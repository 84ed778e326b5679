import { parseArgs } from 'node:util';
import { loadConfig } from '../config/index.js';
import { resolveDatabaseUrl } from '../db/connect.js';
import { createDb, migrateLatest } from '../db/knex.js';
import { systemClock } from '../deps.js';
import { CreateUserError, createUser } from './service.js';

/** npm run user:create -- --email E --password P */
async function main(): Promise<number> {
  const { values } = parseArgs({ options: { email: { type: 'string' }, password: { type: 'string' } } });
  if (!values.email || !values.password) {
    console.error('usage: npm run user:create -- --email <email> --password <password>');
    return 1;
  }
  const config = await loadConfig();
  const database = await resolveDatabaseUrl(config);
  const db = createDb(database.url, 2);
  try {
    await migrateLatest(db);
    const user = await createUser(db, systemClock, values.email, values.password);
    console.log(`created user ${user.email} (${user.id})`);
    return 0;
  } catch (err) {
    if (err instanceof CreateUserError) {
      console.error(`error: ${err.message}`);
      return 1;
    }
    throw err;
  } finally {
    await db.destroy();
    await database.embedded?.stop();
  }
}

main().then((code) => process.exit(code), (err) => {
  console.error('error:', err instanceof Error ? err.message : err);
  process.exit(1);
});
