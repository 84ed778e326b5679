import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { bearer } from '../support/server.js';
import { mintToken, startMailTestServer, type MailTestServer } from '../support/server-with-smtp.js';
import { enableTotpFor, loginTokens } from '../support/two-factor.js';
import { codeFrom } from '../support/smtp.js';

let server: MailTestServer;
beforeAll(async () => {
  server = await startMailTestServer({ blockedMailDomains: ['blocked.test'] });
});
afterAll(() => server.close());

let seq = 0;
const newAddress = () => `moved-${++seq}-${Date.now()}@example.com`;
const unauthorized = (message: string) => ({ statusCode: 401, error: 'Unauthorized', message });
const inUse = { statusCode: 409, error: 'Conflict', message: 'NEW_EMAIL_ALREADY_IN_USE' };

async function freshUser() {
  const user = await server.createUser();
  return { user, accessToken: (await loginTokens(server, user)).accessToken };
}

/** Initiates a transfer and returns the code the new address received. */
async function transferCode(token: string, email: string): Promise<string> {
  const initiate = await sdk.initiatePutEmail({ client: server.client, headers: bearer(token), body: { email } });
  expect(initiate.response.status).toBe(200);
  expect(initiate.data).toBeNull();
  return codeFrom(await server.smtp.waitForMail(email));
}

describe('email transfer (initiatePutEmail, putEmail)', () => {
  it('moves the account to the new address: login works with it only, and the old address is told', async () => {
    const { user, accessToken } = await freshUser();
    const next = newAddress();
    const code = await transferCode(accessToken, next);
    const mail = server.smtp.mailsTo(next)[0]!;
    expect(mail.subject).toMatch(/new email address/i);

    const put = await sdk.putEmail({ client: server.client, headers: bearer(accessToken), body: { otp: code } });
    expect(put.response.status).toBe(200);
    expect(put.data).toBeNull();

    const notice = await server.smtp.waitForMail(user.email);
    expect(notice.subject).toMatch(/email address .* was changed/i);
    expect(notice.text).toContain(next);
    expect(notice.text).not.toMatch(/\b\d{6}\b/);

    const oldLogin = await sdk.login({ client: server.client, body: { username: user.email, password: user.password } });
    expect(oldLogin.error).toEqual(unauthorized('PASSWORD_INCORRECT'));
    const newLogin = await sdk.login({ client: server.client, body: { username: next, password: user.password } });
    expect(newLogin.response.status).toBe(200);
    // Tokens issued before stay valid: the password did not change.
    expect((await sdk.validateAccessToken({ client: server.client, headers: bearer(accessToken) })).data).toEqual({ userId: user.id });
    // The code was used up.
    const again = await sdk.putEmail({ client: server.client, headers: bearer(accessToken), body: { otp: code } });
    expect(again.error).toEqual(unauthorized('OTP_INVALID_EXPIRED'));
  });

  it('a password-reset code mailed to the old address does not open the account after the move', async () => {
    const { user, accessToken } = await freshUser();
    const send = await sdk.sendPasswordReset({ client: server.client, body: { email: user.email } });
    expect(send.response.status).toBe(200);
    const resetCode = codeFrom(await server.smtp.waitForMail(user.email, { subject: /reset/i }));
    const next = newAddress();
    const put = await sdk.putEmail({ client: server.client, headers: bearer(accessToken), body: { otp: await transferCode(accessToken, next) } });
    expect(put.response.status).toBe(200);
    for (const email of [next, user.email]) {
      const reset = await sdk.updatePasswordViaOtp({ client: server.client, body: { userEmail: email, otp: resetCode, newPassword: 'Taken-Over-99' } });
      expect(reset.error).toEqual(unauthorized('OTP_INVALID_EXPIRED'));
    }
    expect((await sdk.login({ client: server.client, body: { username: next, password: user.password } })).response.status).toBe(200);
  });

  it('mails the code and, later, the notice in the brand and language the initiating call chose', async () => {
    const { user, accessToken } = await freshUser();
    const next = newAddress();
    const initiate = await sdk.initiatePutEmail({
      client: server.client, headers: bearer(accessToken), body: { email: next }, query: { origin: 'https://app.gridwise.eu', language: 'de' },
    });
    expect(initiate.response.status).toBe(200);
    const codeMail = await server.smtp.waitForMail(next);
    expect(codeMail.from?.text).toContain('no-reply@gridwise.eu');
    expect(codeMail.subject).toBe('Bestätigen Sie Ihre neue E-Mail-Adresse');
    // PUT has no origin/language of its own.
    expect((await sdk.putEmail({ client: server.client, headers: bearer(accessToken), body: { otp: codeFrom(codeMail) } })).response.status).toBe(200);
    const notice = await server.smtp.waitForMail(user.email);
    expect(notice.from?.text).toContain('no-reply@gridwise.eu');
    expect(notice.subject).toBe('Die E-Mail-Adresse Ihres GridWise-Kontos wurde geändert');
    expect(await server.deps.db('email_transfers').where({ user_id: user.id })).toEqual([]);
  });

  it('stores the new address lower-cased', async () => {
    const { user, accessToken } = await freshUser();
    const next = newAddress().replace('moved', 'MiXeD');
    const code = await transferCode(accessToken, next);
    expect((await sdk.putEmail({ client: server.client, headers: bearer(accessToken), body: { otp: code } })).response.status).toBe(200);
    expect((await server.deps.db('users').where({ id: user.id }).first('email')).email).toBe(next.toLowerCase());
  });

  it('initiate: 409 NEW_EMAIL_ALREADY_IN_USE for another account\'s address (any case) or the own one; nothing is sent', async () => {
    const { user, accessToken } = await freshUser();
    const other = await server.createUser();
    for (const email of [other.email, other.email.toUpperCase(), user.email]) {
      const initiate = await sdk.initiatePutEmail({ client: server.client, headers: bearer(accessToken), body: { email } });
      expect(initiate.response.status).toBe(409);
      expect(initiate.error).toEqual(inUse);
      server.clock.advance(60_000); // each call takes the 60 s slot (next test)
    }
    expect(await server.deps.db('one_time_codes').where({ user_id: user.id })).toEqual([]);
  });

  it('initiate: the 60 s limit applies to every call, taken address or not, before the 409 (no existence test at full speed)', async () => {
    const { accessToken } = await freshUser();
    const taken = (await server.createUser()).email;
    const initiate = (email: string) => sdk.initiatePutEmail({ client: server.client, headers: bearer(accessToken), body: { email } });
    expect((await initiate(taken)).error).toEqual(inUse);
    server.clock.advance(10_000);
    // A second probe, of a taken and of a free address, is refused alike: the 409 told nothing new.
    for (const email of [(await server.createUser()).email, newAddress()]) {
      const early = await initiate(email);
      expect(early.error).toEqual({ statusCode: 429, error: 'Too many requests', message: 'TOO_MANY_TRANSFER_ATTEMPTS', retryAfter: 50 });
      expect(early.response.headers.get('retry-after')).toBe('50');
    }
    server.clock.advance(50_000);
    await transferCode(accessToken, newAddress());
  });

  it('put: 409 NEW_EMAIL_ALREADY_IN_USE when the address was taken meanwhile; the account keeps its email', async () => {
    const { user, accessToken } = await freshUser();
    const next = newAddress();
    const code = await transferCode(accessToken, next);
    await server.createUser(next);
    const put = await sdk.putEmail({ client: server.client, headers: bearer(accessToken), body: { otp: code } });
    expect(put.response.status).toBe(409);
    expect(put.error).toEqual(inUse);
    expect((await server.deps.db('users').where({ id: user.id }).first('email')).email).toBe(user.email);
    expect(await server.deps.db('mail_outbox').where({ to_address: user.email })).toEqual([]);
  });

  it('two accounts racing for one address: exactly one wins, the other gets 409', async () => {
    const a = await freshUser();
    const b = await freshUser();
    const next = newAddress();
    const codeA = await transferCode(a.accessToken, next);
    const codeB = await transferCode(b.accessToken, next);
    const statuses = await Promise.all([
      sdk.putEmail({ client: server.client, headers: bearer(a.accessToken), body: { otp: codeA } }),
      sdk.putEmail({ client: server.client, headers: bearer(b.accessToken), body: { otp: codeB } }),
    ]).then((rs) => rs.map((r) => r.response.status).sort());
    expect(statuses).toEqual([200, 409]);
  });

  it('initiate: 403 FORBIDDEN_MAIL_PROVIDER for a disposable domain', async () => {
    const { accessToken } = await freshUser();
    const initiate = await sdk.initiatePutEmail({ client: server.client, headers: bearer(accessToken), body: { email: 'x@blocked.test' } });
    expect(initiate.response.status).toBe(403);
    expect(initiate.error).toEqual({ statusCode: 403, error: 'Forbidden', message: 'FORBIDDEN_MAIL_PROVIDER' });
  });

  it('initiate: 429 TOO_MANY_TRANSFER_ATTEMPTS within 60 s of the last one, with Retry-After', async () => {
    const { accessToken } = await freshUser();
    await transferCode(accessToken, newAddress());
    server.clock.advance(15_000);
    const second = newAddress();
    const early = await sdk.initiatePutEmail({ client: server.client, headers: bearer(accessToken), body: { email: second } });
    expect(early.response.status).toBe(429);
    expect(early.error).toEqual({ statusCode: 429, error: 'Too many requests', message: 'TOO_MANY_TRANSFER_ATTEMPTS', retryAfter: 45 });
    expect(early.response.headers.get('retry-after')).toBe('45');
    server.clock.advance(45_000);
    await transferCode(accessToken, second);
  });

  it('a second initiate replaces the first code (and its address)', async () => {
    const { user, accessToken } = await freshUser();
    const first = newAddress();
    const firstCode = await transferCode(accessToken, first);
    server.clock.advance(60_000);
    const second = newAddress();
    const secondCode = await transferCode(accessToken, second);
    if (firstCode !== secondCode) {
      expect((await sdk.putEmail({ client: server.client, headers: bearer(accessToken), body: { otp: firstCode } })).response.status).toBe(401);
    }
    expect((await sdk.putEmail({ client: server.client, headers: bearer(accessToken), body: { otp: secondCode } })).response.status).toBe(200);
    expect((await server.deps.db('users').where({ id: user.id }).first('email')).email).toBe(second);
  });

  it('put: 401 OTP_INVALID_EXPIRED for a wrong, an expired, or a never-sent code; burned after 5 wrong tries', async () => {
    const { accessToken } = await freshUser();
    const never = await sdk.putEmail({ client: server.client, headers: bearer(accessToken), body: { otp: '123456' } });
    expect(never.error).toEqual(unauthorized('OTP_INVALID_EXPIRED'));

    const code = await transferCode(accessToken, newAddress());
    const wrong = code === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++) {
      const r = await sdk.putEmail({ client: server.client, headers: bearer(accessToken), body: { otp: wrong } });
      expect(r.error).toEqual(unauthorized('OTP_INVALID_EXPIRED'));
    }
    expect((await sdk.putEmail({ client: server.client, headers: bearer(accessToken), body: { otp: code } })).response.status).toBe(401);

    const other = await freshUser();
    const late = await transferCode(other.accessToken, newAddress());
    server.clock.advance(10 * 60_000);
    const fresh = await mintToken(server, other.user.id, 'access');
    expect((await sdk.putEmail({ client: server.client, headers: bearer(fresh), body: { otp: late } })).error).toEqual(unauthorized('OTP_INVALID_EXPIRED'));
  });

  it('token rules: initiate needs sudo once 2FA is on; put takes access or sudo, not partial; no token → NO_TOKEN_PROVIDED', async () => {
    const { user, accessToken } = await freshUser();
    await enableTotpFor(server, user);
    const body = { email: newAddress() };
    const access = await sdk.initiatePutEmail({ client: server.client, headers: bearer(accessToken), body });
    expect(access.response.status).toBe(401);
    expect(access.error).toEqual(unauthorized('SUDO_TOKEN_REQUIRED'));
    expect((await sdk.initiatePutEmail({ client: server.client, body })).error).toEqual(unauthorized('NO_TOKEN_PROVIDED'));
    const sudo = await mintToken(server, user.id, 'sudo');
    const code = await transferCode(sudo, body.email);

    const partial = await sdk.putEmail({ client: server.client, headers: bearer(await mintToken(server, user.id, 'partial')), body: { otp: code } });
    expect(partial.error).toEqual(unauthorized('INVALID_TOKEN'));
    expect((await sdk.putEmail({ client: server.client, body: { otp: code } })).error).toEqual(unauthorized('NO_TOKEN_PROVIDED'));
    expect((await sdk.putEmail({ client: server.client, headers: bearer(sudo), body: { otp: code } })).response.status).toBe(200);
  });

  it('answers 400 for a malformed body', async () => {
    const { accessToken } = await freshUser();
    const long = await sdk.initiatePutEmail({ client: server.client, headers: bearer(accessToken), body: { email: `${'a'.repeat(250)}@example.com` } });
    expect(long.response.status).toBe(400);
    const missing = await sdk.putEmail({ client: server.client, headers: bearer(accessToken), body: {} as never });
    expect(missing.response.status).toBe(400);
    expect(missing.error).toEqual({ statusCode: 400, error: 'Bad Request', message: "body must have required property 'otp'" });
  });
});
