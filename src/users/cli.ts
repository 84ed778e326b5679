import { parseArgs } from 'node:util';
import { migrateLatest } from '../db/knex.js';
import { systemClock } from '../deps.js';
import { runCommand, withServiceDatabase } from './cli-frame.js';
import { CreateUserError, createUser } from './service.js';

/** npm run user:create -- --email E --password P */
async function main(): Promise<number> {
  const { values } = parseArgs({ options: { email: { type: 'string' }, password: { type: 'string' } } });
  if (!values.email || !values.password) {
    console.error('usage: npm run user:create -- --email <email> --password <password>');
    return 1;
  }
  const { email, password } = values;
  return withServiceDatabase(async (db) => {
    await migrateLatest(db);
    try {
      const user = await createUser(db, systemClock, email, password);
      console.log(`created user ${user.email} (${user.id})`);
      return 0;
    } catch (err) {
      if (!(err instanceof CreateUserError)) throw err;
      console.error(`error: ${err.message}`);
      return 1;
    }
  });
}

runCommand(main);
