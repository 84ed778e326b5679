import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findUserByEmail } from '../../src/users/queries.js';
import { createTestDatabase } from '../support/database.js';

const run = promisify(execFile);
let database: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

async function userCreate(...args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/users/cli.ts', ...args], {
      env: { ...process.env, DATABASE_URL: database.url, NODE_ENV: 'development', DATA_DIR: '.data/test-cli' },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('npm run user:create', () => {
  it('creates a user with an argon2id hash, then refuses a duplicate, a bad email and a weak password', async () => {
    const created = await userCreate('--email', 'Ops@Example.com', '--password', 'Sturdy-Pass-42');
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/created user ops@example\.com/);
    const user = await findUserByEmail(database.db, 'ops@example.com');
    expect(user?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);

    const duplicate = await userCreate('--email', 'ops@example.com', '--password', 'Sturdy-Pass-42');
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toMatch(/already exists/);

    const badEmail = await userCreate('--email', 'not-an-email', '--password', 'Sturdy-Pass-42');
    expect(badEmail.code).toBe(1);
    expect(badEmail.stderr).toMatch(/invalid email/);

    const weak = await userCreate('--email', 'weak@example.com', '--password', 'alllowercase1');
    expect(weak.code).toBe(1);
    expect(weak.stderr).toMatch(/uppercase/);

    const usage = await userCreate('--email', 'x@example.com');
    expect(usage.code).toBe(1);
    expect(usage.stderr).toMatch(/usage/);
  });
});
