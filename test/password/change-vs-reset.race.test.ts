import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/crypto/password.js';
import type { ApiError } from '../../src/http/errors.js';
import { findOutboxMails } from '../../src/mail/index.js';
import { findUserById } from '../../src/users/queries.js';
import { changePassword } from '../../src/password/change.js';
import { resetPassword, sendResetMail } from '../../src/password/reset.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { codeFrom } from '../support/smtp.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe('a change with the old password racing a reset by code', () => {
  it('never deadlocks: exactly one wins, the other gets its 401, and the winner\'s password is set', async () => {
    const user = await server.createUser();
    await sendResetMail(server.deps, 'code', { email: user.email });
    const code = codeFrom((await findOutboxMails(server.deps.db, { to: user.email }))[0]!);
    // Widen the gap between the statements of a change, so the two transactions overlap for sure.
    await server.deps.db.raw(`create function slow_users_update() returns trigger language plpgsql as $$ begin perform pg_sleep(0.8); return null; end $$;
      create trigger slow_users_update after update on users for each row execute function slow_users_update();`);
    try {
      const results = await Promise.allSettled([
        changePassword(server.deps, server.deps.hashLimiter.tryAdmit()!, user.id, user.password, 'Another-Pass-71'),
        new Promise((resolve) => setTimeout(resolve, 200)).then(() => resetPassword(server.deps, server.deps.hashLimiter.tryAdmit()!, user.email, code, 'Third-Pass-83')),
      ]);
      const outcomes = results.map((r) => (r.status === 'fulfilled' ? 'ok' : `${(r.reason as ApiError).status} ${(r.reason as ApiError).code}`));
      // Exactly one of them changed the password; the other is the 401 its own rule gives.
      expect(outcomes.filter((o) => o === 'ok'), outcomes.join(', ')).toHaveLength(1);
      const [changeOutcome, resetOutcome] = outcomes;
      if (changeOutcome === 'ok') expect(resetOutcome).toBe('401 OTP_INVALID_EXPIRED');
      else expect(changeOutcome).toBe('401 INVALID_TOKEN');
      // And the winner's password is the one that now opens the account.
      const winner = changeOutcome === 'ok' ? 'Another-Pass-71' : 'Third-Pass-83';
      const stored = await findUserById(server.deps.db, user.id);
      expect(await verifyPassword(stored!.passwordHash!, winner)).toBe(true);
    } finally {
      await server.deps.db.raw('drop trigger slow_users_update on users; drop function slow_users_update();');
    }
  });
});
