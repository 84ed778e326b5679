import knex from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { findOutboxMails } from '../../src/mail/index.js';
import { sendResetMail } from '../../src/password/reset.js';
import { loginTokens } from '../support/two-factor.js';
import { bearer, startTestServer, type TestServer } from '../support/server.js';
import { instrumentHashes, until } from '../support/hashing.js';

// Issue 9: a hash (15–40 ms of a core) must never hold one of the pool's connections, nor keep a
// transaction open: under a login flood that stalled every other request. Each hash here reports
// the pool's connections in use while it runs; all must be 0.

let server: TestServer;
let hashes: ReturnType<typeof instrumentHashes>;
beforeAll(async () => {
  server = await startTestServer();
  hashes = instrumentHashes(server);
});
afterAll(() => server.close());

/** Runs `act` and returns the connections in use during each hash it made. */
async function duringHashes(act: () => Promise<unknown>): Promise<number[]> {
  hashes.connectionsInUse = [];
  await act();
  return hashes.connectionsInUse;
}

const login = (username: string, password: string) => sdk.login({ client: server.client, body: { username, password } });

describe('no hash while a connection or transaction is held', () => {
  it('login: unknown name, wrong password, right password, 2FA required', async () => {
    const user = await server.createUser();
    const withTotp = await server.createUser();
    await server.deps.db('totp_factors').insert({ user_id: withTotp.id, secret_enc: 'k1.x', completed_at: new Date(server.clock.now()) });

    expect(await duringHashes(async () => expect((await login('nobody@example.com', 'Wrong-pass-1')).response.status).toBe(401))).toEqual([0]);
    expect(await duringHashes(async () => expect((await login(user.email, 'Wrong-pass-1')).response.status).toBe(401))).toEqual([0]);
    expect(await duringHashes(async () => expect((await login(user.email, user.password)).response.status).toBe(200))).toEqual([0]);
    expect(await duringHashes(async () => expect((await login(withTotp.email, withTotp.password)).error).toMatchObject({ message: '2FA_REQUIRED' }))).toEqual([0]);
  });

  it('updatePasswordViaSudo: the old password check and the new hash', async () => {
    const user = await server.createUser();
    const token = (await loginTokens(server, user)).accessToken;
    const change = (oldPassword: string) =>
      sdk.updatePasswordViaSudo({ client: server.client, headers: bearer(token), body: { oldPassword, newPassword: 'Changed-Pass-31' } });
    expect(await duringHashes(async () => expect((await change('Wrong-pass-1')).response.status).toBe(401))).toEqual([0]);
    expect(await duringHashes(async () => expect((await change(user.password)).response.status).toBe(200))).toEqual([0, 0]);
  });

  it('updatePasswordViaOtp: the new hash, between the code check and the change', async () => {
    const user = await server.createUser();
    await sendResetMail(server.deps, 'code', { email: user.email });
    const otp = /\b(\d{6})\b/.exec((await findOutboxMails(server.deps.db, { to: user.email }))[0]!.text!)![1]!;
    const reset = () => sdk.updatePasswordViaOtp({ client: server.client, body: { userEmail: user.email, otp, newPassword: 'Reset-Pass-47' } });
    expect(await duringHashes(async () => expect((await reset()).response.status).toBe(200))).toEqual([0]);
  });

  it('with a pool of one connection, another request runs to the end while a login hash is in flight', async () => {
    const user = await server.createUser();
    const token = (await loginTokens(server, user)).accessToken;
    const pooled = server.deps.db;
    // Held by the login during its hash, the only connection would make the validate below wait
    // until the acquisition timeout and fail.
    server.deps.db = knex({ client: 'pg', connection: pooled.client.config.connection, pool: { min: 0, max: 1 }, acquireConnectionTimeout: 2000 });
    let open!: () => void;
    hashes.gate = new Promise((resolve) => (open = resolve));
    hashes.connectionsInUse = [];
    try {
      const slowLogin = login(user.email, 'Wrong-pass-1');
      await until(() => hashes.connectionsInUse.length === 1); // the login is inside its hash
      const validate = await sdk.validateAccessToken({ client: server.client, headers: bearer(token) });
      expect(validate.response.status).toBe(200);
      expect(await server.deps.db.raw('select 1 as ok')).toMatchObject({ rows: [{ ok: 1 }] });
      expect(server.deps.hashLimiter.stats()).toMatchObject({ running: 1 }); // still hashing
      open();
      expect((await slowLogin).response.status).toBe(401);
    } finally {
      open();
      hashes.gate = undefined;
      await server.deps.db.destroy();
      server.deps.db = pooled;
    }
  });
});
