import { parseArgs } from 'node:util';
import { listSecurityEvents } from '../security-events/service.js';
import { runCommand, withServiceDatabase } from './cli-frame.js';
import { findUserByEmail } from './queries.js';

/**
 * npm run user:events -- --email E [--limit N]: the account's security events, newest first, one
 * JSON line each (what the user sees at GET /user/security-events), for the support desk.
 */
async function main(): Promise<number> {
  const { values } = parseArgs({ options: { email: { type: 'string' }, limit: { type: 'string' } } });
  const limit = values.limit === undefined ? 100 : Number(values.limit);
  if (!values.email || !Number.isInteger(limit) || limit < 1 || limit > 100) {
    console.error('usage: npm run user:events -- --email <email> [--limit 1-100]');
    return 1;
  }
  const email = values.email;
  return withServiceDatabase(async (db) => {
    const user = await findUserByEmail(db, email);
    if (!user) {
      console.error(`error: no account with email ${email}`);
      return 1;
    }
    const { events } = await listSecurityEvents({ db }, user.id, { limit });
    for (const event of events) console.log(JSON.stringify(event));
    return 0;
  });
}

runCommand(main);
