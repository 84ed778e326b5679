import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { bearer } from '../support/server.js';
import { mintToken, startMailTestServer, type MailTestServer } from '../support/server-with-smtp.js';
import { wrongCode } from '../support/codes.js';
import { challengeCode, freshUser, newAddress, setupCode, userWithEmailOtp } from './support.js';

/** Contract, "Email codes": 10 minutes, single use, burned after 5 wrong tries, a new code replaces the old, a resend keeps the count. */
let server: MailTestServer;
beforeAll(async () => {
  server = await startMailTestServer();
});
afterAll(() => server.close());

const TEN_MINUTES = 10 * 60_000;

async function enable(token: string, otp: string) {
  return (await sdk.completeEmailOtp({ client: server.client, headers: bearer(token), body: { otp } })).response.status;
}

async function authenticate(token: string, otp: string) {
  return (await sdk.verifyEmailOtpAuthentication({ client: server.client, headers: bearer(token), body: { otp } })).response.status;
}

describe('email OTP codes', () => {
  it('are 6 digits, and differ from mail to mail', async () => {
    const { user, address } = await userWithEmailOtp(server);
    const partial = await mintToken(server, user.id, 'partial');
    const codes = new Set<string>();
    for (let i = 0; i < 3; i++) {
      codes.add(await challengeCode(server, partial, address));
      server.clock.advance(60_000);
    }
    for (const code of codes) expect(code).toMatch(/^\d{6}$/);
    expect(codes.size).toBe(3);
  });

  it('a new code replaces the old one', async () => {
    const { accessToken } = await freshUser(server);
    const address = newAddress();
    const first = await setupCode(server, accessToken, address);
    server.clock.advance(60_000);
    const second = await setupCode(server, accessToken, address);
    if (first !== second) expect(await enable(accessToken, first)).toBe(401);
    expect(await enable(accessToken, second)).toBe(200);
  });

  it('is burned after 5 wrong tries: the right code then fails too', async () => {
    const { user, address } = await userWithEmailOtp(server);
    const partial = await mintToken(server, user.id, 'partial');
    const code = await challengeCode(server, partial, address);
    for (let i = 0; i < 5; i++) expect(await authenticate(partial, wrongCode(code))).toBe(401);
    expect(await authenticate(partial, code)).toBe(401);
  });

  it('survives 4 wrong tries', async () => {
    const { user, address } = await userWithEmailOtp(server);
    const partial = await mintToken(server, user.id, 'partial');
    const code = await challengeCode(server, partial, address);
    for (let i = 0; i < 4; i++) expect(await authenticate(partial, wrongCode(code))).toBe(401);
    expect(await authenticate(partial, code)).toBe(200);
  });

  it('a resend does not reset the failure count', async () => {
    const { user, address } = await userWithEmailOtp(server);
    const partial = await mintToken(server, user.id, 'partial');
    const first = await challengeCode(server, partial, address);
    for (let i = 0; i < 4; i++) expect(await authenticate(partial, wrongCode(first))).toBe(401);
    server.clock.advance(60_000);
    const resent = await challengeCode(server, partial, address);
    // The 5th wrong try overall burns the resent code.
    expect(await authenticate(partial, wrongCode(resent))).toBe(401);
    expect(await authenticate(partial, resent)).toBe(401);
  });

  it('a resend after the code was burned starts afresh', async () => {
    const { user, address } = await userWithEmailOtp(server);
    const partial = await mintToken(server, user.id, 'partial');
    const first = await challengeCode(server, partial, address);
    for (let i = 0; i < 5; i++) await authenticate(partial, wrongCode(first));
    server.clock.advance(60_000);
    const fresh = await challengeCode(server, partial, address);
    expect(await authenticate(partial, fresh)).toBe(200);
  });

  it('expires after 10 minutes', async () => {
    const { accessToken } = await freshUser(server);
    const code = await setupCode(server, accessToken, newAddress());
    server.clock.advance(TEN_MINUTES);
    expect(await enable(accessToken, code)).toBe(401);

    const other = await userWithEmailOtp(server);
    const partial = await mintToken(server, other.user.id, 'partial');
    const valid = await challengeCode(server, partial, other.address);
    server.clock.advance(TEN_MINUTES - 1_000);
    // A partial token lives 5 minutes: a fresh one, as a new login would give.
    const later = await mintToken(server, other.user.id, 'partial');
    expect(await authenticate(later, valid)).toBe(200);
  });

  it('is single use under concurrency: 10 parallel tries with one code give exactly one session', async () => {
    const { user, address } = await userWithEmailOtp(server);
    const partial = await mintToken(server, user.id, 'partial');
    const code = await challengeCode(server, partial, address);
    const statuses = await Promise.all(Array.from({ length: 10 }, () => authenticate(partial, code)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 401)).toHaveLength(9);
  });

  it('enable is single use under concurrency: one setup code, 5 parallel enables, one set of recovery codes', async () => {
    const { user, accessToken } = await freshUser(server);
    const code = await setupCode(server, accessToken, newAddress());
    const results = await Promise.all(
      Array.from({ length: 5 }, () => sdk.completeEmailOtp({ client: server.client, headers: bearer(accessToken), body: { otp: code } })),
    );
    const ok = results.filter((r) => r.response.status === 200);
    expect(ok).toHaveLength(1);
    expect(ok[0]!.data!.recoveryCodes).toHaveLength(10);
    // The others found the code used (401) or nothing pending any more (409).
    for (const r of results.filter((x) => x.response.status !== 200)) expect([401, 409]).toContain(r.response.status);
    const [{ count }] = (await server.deps.db('recovery_codes').where({ user_id: user.id }).count({ count: '*' })) as [{ count: string }];
    expect(Number(count)).toBe(10);
  });

  it('setup (with an access token) racing enable: exactly one wins, as if it had run first', async () => {
    const { accessToken } = await freshUser(server);
    const address = newAddress();
    const code = await setupCode(server, accessToken, address);
    server.clock.advance(60_000);
    const [enable, setup] = await Promise.all([
      sdk.completeEmailOtp({ client: server.client, headers: bearer(accessToken), body: { otp: code } }),
      sdk.initiateEmailOtp({ client: server.client, headers: bearer(accessToken), body: { email: address } }),
    ]);
    const outcome = `enable ${enable.response.status}, setup ${setup.response.status}`;
    expect([enable.response.status, setup.response.status].sort(), outcome).toEqual([200, 401]);
    const status = (await sdk.getTwoFa({ client: server.client, headers: bearer(accessToken) })).data!;
    if (enable.response.status === 200) {
      // Enable first: 2FA is on, so an access token no longer sets up a method.
      expect(setup.error).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'SUDO_TOKEN_REQUIRED' });
      expect(status).toMatchObject({ enabled: true, emailOtp: { email: address.toLowerCase() } });
    } else {
      // Setup first: its new code replaced the one enable sent.
      expect(enable.error).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'OTP_INVALID_EXPIRED' });
      expect(status).toMatchObject({ enabled: false });
    }
  });

  it('two parallel setups of one user send one mail (the 60 s slot is claimed atomically)', async () => {
    const { accessToken } = await freshUser(server);
    const address = newAddress();
    const statuses = await Promise.all(
      [0, 1].map(async () => (await sdk.initiateEmailOtp({ client: server.client, headers: bearer(accessToken), body: { email: address } })).response.status),
    );
    expect(statuses.sort()).toEqual([200, 429]);
    await server.smtp.waitForMail(address);
    expect(await server.deps.db('mail_outbox').where({ to_address: address.toLowerCase() })).toHaveLength(1);
  });
});
