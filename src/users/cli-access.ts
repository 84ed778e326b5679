import { parseArgs } from 'node:util';
import { systemClock } from '../deps.js';
import { createLogger } from '../log.js';
import { createMailDeps } from '../mail/index.js';
import { resetTwoFactor } from '../two-factor/reset.js';
import { disableUser, enableUser } from './access.js';
import { runCommand, withServiceDatabase } from './cli-frame.js';

const ACTIONS = { disable: disableUser, enable: enableUser, 'reset-2fa': resetTwoFactor } as const;
const DONE = { disable: 'disabled', enable: 'enabled', 'reset-2fa': 'reset the 2FA of' } as const;
const ALREADY = { disable: 'was already disabled', enable: 'was not disabled', 'reset-2fa': 'has no 2FA method' } as const;

/**
 * npm run user:disable | user:enable | user:reset-2fa -- --email E (the first argument, the
 * action, comes from package.json). A notice is queued in the outbox; the service's mail worker
 * sends it.
 */
async function main(): Promise<number> {
  const { values, positionals } = parseArgs({ options: { email: { type: 'string' } }, allowPositionals: true });
  const action = positionals[0] as keyof typeof ACTIONS | undefined;
  if (!action || !(action in ACTIONS) || !values.email) {
    console.error('usage: npm run user:disable | user:enable | user:reset-2fa -- --email <email>');
    return 1;
  }
  const email = values.email;
  return withServiceDatabase(async (db, config) => {
    const deps = { db, clock: systemClock, mail: createMailDeps(config), log: createLogger(config.logLevel) };
    const result = await ACTIONS[action](deps, email);
    if (result === 'no-account') {
      console.error(`error: no account with email ${email}`);
      return 1;
    }
    console.log(result === 'changed' ? `${DONE[action]} ${email}` : `${email} ${ALREADY[action]}`);
    return 0;
  });
}

runCommand(main);
