import { pino } from 'pino';
import { buildDeps } from '../../src/bootstrap.js';
import type { Config } from '../../src/config/index.js';
import type { Db } from '../../src/db/knex.js';
import { withTx } from '../../src/db/tx.js';
import type { Deps } from '../../src/deps.js';
import { enqueueMail, prepareMail, type MailRequest } from '../../src/mail/index.js';
import { createTestClock, type TestClock } from '../support/clock.js';
import { testConfig } from '../support/config.js';

/** Deps for the mail pipeline on a test database, with a hand-moved clock and an optional log sink. */
export async function mailDeps(db: Db, overrides: Partial<Config> = {}, logLines?: string[]): Promise<Deps & { clock: TestClock }> {
  const clock = createTestClock();
  const log = logLines
    ? pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) })
    : undefined;
  const deps = await buildDeps(await testConfig(overrides), db, { clock, log });
  return { ...deps, clock };
}

export function sampleRequest(n: number, overrides: Partial<MailRequest> = {}): MailRequest {
  return { kind: 'email_otp_challenge', to: `user${n}@example.com`, variables: { code: String(100000 + n) }, ...overrides };
}

/** What an endpoint does: prepare, then enqueue in its own transaction. */
export async function enqueue(deps: Deps, ...requests: MailRequest[]): Promise<void> {
  const prepared = requests.map((request) => prepareMail(deps, request));
  await withTx(deps.db, async (trx) => {
    for (const mail of prepared) await enqueueMail(trx, deps, mail);
  });
}

export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
