import { parseArgs } from 'node:util';
import { loadConfig } from '../config/index.js';
import { resolveDatabaseUrl } from '../db/connect.js';
import { createDb } from '../db/knex.js';
import { systemClock } from '../deps.js';
import { createLogger } from '../log.js';
import { createMailDeps } from '../mail/index.js';
import { disableUser, enableUser } from './access.js';

/**
 * npm run user:disable -- --email E / npm run user:enable -- --email E (the first argument,
 * `disable` or `enable`, comes from package.json). The notice is queued in the outbox; the
 * service's mail worker sends it.
 */
async function main(): Promise<number> {
  const { values, positionals } = parseArgs({ options: { email: { type: 'string' } }, allowPositionals: true });
  const action = positionals[0];
  if ((action !== 'disable' && action !== 'enable') || !values.email) {
    console.error('usage: npm run user:disable -- --email <email>  |  npm run user:enable -- --email <email>');
    return 1;
  }
  const config = await loadConfig();
  const database = await resolveDatabaseUrl(config);
  const db = createDb(database.url, 2);
  try {
    const deps = { db, clock: systemClock, mail: createMailDeps(config), log: createLogger(config.logLevel) };
    const result = await (action === 'disable' ? disableUser : enableUser)(deps, values.email);
    if (result === 'no-account') {
      console.error(`error: no account with email ${values.email}`);
      return 1;
    }
    console.log(result === 'changed' ? `${action}d ${values.email}` : `${values.email} was already ${action}d`);
    return 0;
  } finally {
    await db.destroy();
    await database.embedded?.stop();
  }
}

main().then((code) => process.exit(code), (err) => {
  console.error('error:', err instanceof Error ? err.message : err);
  process.exit(1);
});
