import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { systemClock } from '../../src/deps.js';
import { disableUser, enableUser } from '../../src/users/access.js';
import { resetTwoFactor } from '../../src/two-factor/reset.js';
import { findUserByEmail } from '../../src/users/queries.js';
import { createUser } from '../../src/users/service.js';
import { createTestDatabase } from '../support/database.js';
import { bearer, startTestServer, type TestServer } from '../support/server.js';
import { loginPartial, loginTokens, userWithTotp } from '../support/two-factor.js';

const run = promisify(execFile);
let server: TestServer;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  server = await startTestServer();
  database = await createTestDatabase();
});
afterAll(async () => {
  await server.close();
  await database.drop();
});

async function cli(...args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/users/cli-access.ts', ...args], {
      env: { ...process.env, DATABASE_URL: database.url, NODE_ENV: 'development', DATA_DIR: '.data/test-cli' },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const types = async (userId: string) => (await server.deps.db('security_events').where({ user_id: userId }).orderBy('id').select('type')).map((r) => r.type);

describe('disabling and enabling an account (user:disable, user:enable)', () => {
  it('a disabled account cannot log in by password or finish a second factor, and its sessions end; enabled, it logs in again', async () => {
    const user = await server.createUser();
    const { refreshToken, accessToken } = await loginTokens(server, user);
    const totpUser = await userWithTotp(server);
    const { partialToken } = await loginPartial(server, totpUser.user);

    expect(await disableUser(server.deps, user.email)).toBe('changed');
    expect(await disableUser(server.deps, totpUser.user.email)).toBe('changed');
    expect(await disableUser(server.deps, user.email)).toBe('unchanged');

    const login = await sdk.login({ client: server.client, body: { username: user.email, password: user.password } });
    expect(login.error).toMatchObject({ statusCode: 401, message: 'PASSWORD_INCORRECT' });
    expect((await sdk.validateRefreshToken({ client: server.client, headers: bearer(refreshToken) })).response.status).toBe(401);
    expect((await sdk.validateAccessToken({ client: server.client, headers: bearer(accessToken) })).response.status).toBe(401);
    const secondFactor = await sdk.verifyRecoveryCodes({ client: server.client, headers: bearer(partialToken), body: { recoveryCode: totpUser.recoveryCodes[0]! } });
    expect(secondFactor.error).toMatchObject({ statusCode: 401, message: 'INVALID_TOKEN' });
    // The notice is in the outbox, addressed to the owner.
    const notice = await server.deps.db('mail_outbox').where({ to_address: user.email, kind: 'security_notice' }).first('subject');
    expect(notice?.subject).toBe('Your SmartgridOne account was disabled');

    expect(await enableUser(server.deps, user.email)).toBe('changed');
    expect((await sdk.login({ client: server.client, body: { username: user.email, password: user.password } })).response.status).toBe(200);
    expect(await types(user.id)).toEqual(['login_succeeded', 'session_ended', 'account_disabled', 'account_enabled', 'login_succeeded']);
    expect(await enableUser(server.deps, 'nobody@example.com')).toBe('no-account');
  });

  it('the commands: exit 0 with the change made, exit 1 for an unknown email or no email', async () => {
    const user = await createUser(database.db, systemClock, 'desk-case@example.com', 'Sturdy-Pass-42');
    const disabled = await cli('disable', '--email', 'desk-case@example.com');
    expect(disabled).toMatchObject({ code: 0 });
    expect(disabled.stdout).toMatch(/disabled desk-case@example.com/);
    expect((await findUserByEmail(database.db, user.email))?.disabledAt).toBeInstanceOf(Date);
    expect((await cli('enable', '--email', 'desk-case@example.com')).code).toBe(0);
    expect((await findUserByEmail(database.db, user.email))?.disabledAt).toBeNull();
    const unknown = await cli('disable', '--email', 'nobody@example.com');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no account/);
    expect((await cli('disable')).code).toBe(1);
  });

  it('user:reset-2fa removes every method and the recovery codes, ends every session, records and mails; the next login needs the password only', async () => {
    const { user, accessToken } = await userWithTotp(server);
    expect(await resetTwoFactor(server.deps, user.email)).toBe('changed');
    expect((await sdk.validateAccessToken({ client: server.client, headers: bearer(accessToken) })).response.status).toBe(401);
    const login = await sdk.login({ client: server.client, body: { username: user.email, password: user.password } });
    expect(login.response.status).toBe(200); // no 2FA_REQUIRED any more
    const fresh = (await sdk.getAccessToken({ client: server.client, headers: bearer(login.data as string) })).data as string;
    expect((await sdk.getTwoFa({ client: server.client, headers: bearer(fresh) })).data).toMatchObject({ enabled: false, totp: null, recoveryCodes: null });
    expect(Number((await server.deps.db('recovery_codes').where({ user_id: user.id }).count({ n: '*' }).first())!.n)).toBe(0);
    expect((await types(user.id)).filter((t) => t === 'two_factor_reset')).toHaveLength(1);
    const notice = await server.deps.db('mail_outbox').where({ to_address: user.email, kind: 'security_notice' }).orderBy('id', 'desc').first('subject');
    expect(notice?.subject).toBe('Two-factor authentication of your SmartgridOne account was reset');
    // Nothing left to reset: nothing done, no second event.
    expect(await resetTwoFactor(server.deps, user.email)).toBe('unchanged');
    expect((await types(user.id)).filter((t) => t === 'two_factor_reset')).toHaveLength(1);
    expect((await cli('reset-2fa', '--email', 'nobody@example.com')).code).toBe(1);
  });
});
