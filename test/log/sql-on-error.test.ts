import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { buildDeps } from '../../src/bootstrap.js';
import { createLogger } from '../../src/log.js';
import { createUser } from '../../src/users/service.js';
import { systemClock } from '../../src/deps.js';
import { testConfig } from '../support/config.js';
import { createTestDatabase } from '../support/database.js';
import { recordExercised } from '../support/exercised.js';

// knex's default puts the failed statement, bound values included, into err.message; the error
// handler logs err. For an outbox insert those values are the rendered mail: the code, the link.
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let app: Server;
let baseUrl: string;
const lines: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  // Every new outbox row now breaks a CHECK constraint (SQLSTATE 23514).
  await database.db.raw('alter table mail_outbox add constraint test_refuses_mail check (false) not valid');
  const log = createLogger('info', { write: (line: string) => void lines.push(line) });
  const deps = await buildDeps(await testConfig({ logLevel: 'info' }), database.db, { log });
  app = await new Promise((resolve) => {
    const s = createApp(deps).listen(0, '127.0.0.1', () => resolve(s));
  });
  recordExercised(app);
  baseUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
});
afterAll(async () => {
  app.closeAllConnections();
  await new Promise((resolve) => app.close(resolve));
  await database.drop();
});

/** The log lines without the fields that are numbers by nature (time, pid). */
function logText(): string {
  return lines
    .map((line) => {
      const { time: _time, pid: _pid, hostname: _hostname, ...rest } = JSON.parse(line);
      return JSON.stringify(rest);
    })
    .join('\n');
}

describe('a failed outbox insert', () => {
  it.each([
    ['/user/password/reset/send', 'password reset code'],
    ['/v1/auth/forgot-password', 'password reset link'],
  ])('%s: 500, and the log has the SQLSTATE but neither the mail, its code nor its link', async (path) => {
    const user = await createUser(database.db, systemClock, `sql-log-${Date.now()}-${path.length}@example.com`, 'Correct-Horse-9');
    lines.length = 0;
    const response = await fetch(`${baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: user.email }) });
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ statusCode: 500, error: 'Internal server error', message: 'INTERNAL_SERVER_ERROR' });

    const text = logText();
    expect(text).toContain('"code":"23514"');
    expect(text).toContain('test_refuses_mail');
    // Nothing of the statement or its values: no 6-digit code, no link, no mail text, no address.
    expect(text).not.toMatch(/\b\d{6}\b/);
    expect(text).not.toMatch(/otp=|reset-password|Failing row/i);
    // The statement may be named, with placeholders only (compileSqlOnError: false), never its values.
    expect(text).not.toMatch(/values \((?!\$1, \$2)/);
    expect(text).not.toMatch(/SmartgridOne password|Reset your/);
    expect(text).not.toContain(user.email);
    expect(text).not.toContain(encodeURIComponent(user.email));
  });
});
