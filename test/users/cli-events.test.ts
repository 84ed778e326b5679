import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/deps.js';
import { recordSecurityEvent } from '../../src/security-events/record.js';
import { createUser } from '../../src/users/service.js';
import { createTestDatabase } from '../support/database.js';

const run = promisify(execFile);
let database: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

async function userEvents(...args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/users/cli-events.ts', ...args], {
      env: { ...process.env, DATABASE_URL: database.url, NODE_ENV: 'development', DATA_DIR: '.data/test-cli' },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('npm run user:events', () => {
  it('prints the account\'s events newest first as JSON lines; exit 1 for an unknown email or bad arguments', async () => {
    const user = await createUser(database.db, systemClock, 'support-case@example.com', 'Sturdy-Pass-42');
    await recordSecurityEvent(database.db, { clock: systemClock }, { userId: user.id, type: 'login_failed', detail: { factor: 'password' } });
    await recordSecurityEvent(database.db, { clock: systemClock }, { userId: user.id, type: 'method_removed', detail: { method: 'totp' } });

    const listed = await userEvents('--email', 'Support-Case@example.com');
    expect(listed.code).toBe(0);
    const lines = listed.stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(lines.map((e) => [e.type, e.detail])).toEqual([['method_removed', { method: 'totp' }], ['login_failed', { factor: 'password' }]]);
    expect((await userEvents('--email', 'support-case@example.com', '--limit', '1')).stdout.trim().split('\n')).toHaveLength(1);

    const unknown = await userEvents('--email', 'nobody@example.com');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no account/);
    const usage = await userEvents('--limit', '5');
    expect(usage.code).toBe(1);
    expect(usage.stderr).toMatch(/usage/);
  });
});
