import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOutboxMails } from '../../src/mail/index.js';
import { changePassword } from '../../src/password/change.js';
import { resetPassword, sendResetMail } from '../../src/password/reset.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe('a change with the old password racing a reset by code', () => {
  it('never deadlocks: one wins, the other gets its 401', async () => {
    const user = await server.createUser();
    await sendResetMail(server.deps, 'code', { email: user.email });
    const code = /\b(\d{6})\b/.exec((await findOutboxMails(server.deps.db, { to: user.email }))[0]!.text!)![1]!;
    // Widen the gap between the statements of a change, so the two transactions overlap for sure.
    await server.deps.db.raw(`create function slow_users_update() returns trigger language plpgsql as $$ begin perform pg_sleep(0.8); return null; end $$;
      create trigger slow_users_update after update on users for each row execute function slow_users_update();`);
    try {
      const results = await Promise.allSettled([
        changePassword(server.deps, server.deps.hashLimiter.tryAdmit()!, user.id, user.password, 'Another-Pass-71'),
        new Promise((resolve) => setTimeout(resolve, 200)).then(() => resetPassword(server.deps, server.deps.hashLimiter.tryAdmit()!, user.email, code, 'Third-Pass-83')),
      ]);
      const outcomes = results.map((r) => (r.status === 'fulfilled' ? 'ok' : (r.reason as { code?: string }).code));
      expect(outcomes).toContain('ok');
      expect(outcomes.filter((o) => o !== 'ok').every((o) => o === 'OTP_INVALID_EXPIRED' || o === 'INVALID_TOKEN')).toBe(true);
    } finally {
      await server.deps.db.raw('drop trigger slow_users_update on users; drop function slow_users_update();');
    }
  });
});
