import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import * as sdk from '../../generated/sdk.gen.js';
import { CODE_TTL_MS, FAILURE_WINDOW_MS, MAX_FAILURES_PER_DAY } from '../../src/one-time-codes/constants.js';
import { codeFrom } from '../support/smtp.js';
import { MAIL_INTERVAL_MS, linkFrom, startServerWithMail, type MailTestServer } from './support.js';

let server: MailTestServer;
beforeAll(async () => {
  server = await startServerWithMail();
});
afterAll(() => server.close());

const otpInvalid = { statusCode: 401, error: 'Unauthorized', message: 'OTP_INVALID_EXPIRED' };
const validate = (email: string, otp: string) => sdk.validatePasswordReset({ client: server.client, body: { email, otp } });
const resetWith = (userEmail: string, otp: string, newPassword = 'Owner-Again-2026') =>
  sdk.updatePasswordViaOtp({ client: server.client, body: { userEmail, otp, newPassword } });
const loginStatus = async (username: string, password: string) => (await sdk.login({ client: server.client, body: { username, password } })).response.status;
const wrongCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');
const secretGuess = () => randomBytes(32).toString('base64url');

/** A reset/send mail as the victim receives it: its 6-digit code and the secret in its link. */
async function codeMail(email: string) {
  const send = await sdk.sendPasswordReset({ client: server.client, body: { email } });
  expect(send.response.status).toBe(200);
  const mail = await server.smtp.waitForMail(email, { subject: /reset code/ });
  return { code: codeFrom(mail), secret: linkFrom(mail).searchParams.get('otp')! };
}

describe('the reset secret: an owner cannot be locked out of a reset', () => {
  it('the owner completes a reset after an attacker\'s dozen requests (send, 5 wrong codes, wait 61 s, repeat)', async () => {
    const victim = await server.createUser();
    // The attacker: two rounds, 12 requests; the per-account cap of wrong codes is now full.
    for (let round = 0; round < 2; round++) {
      await codeMail(victim.email); // the attacker triggers it; the mail goes to the victim
      for (let i = 0; i < 5; i++) expect((await validate(victim.email, '000000')).error).toEqual(otpInvalid);
      server.clock.advance(MAIL_INTERVAL_MS + 1000);
    }
    // The owner asks for a fresh mail: its 6-digit code is refused (the cap holds, as it must)…
    const fresh = await codeMail(victim.email);
    expect((await validate(victim.email, fresh.code)).error).toEqual(otpInvalid);
    // …but the link in the same mail works: validate, then set the password.
    expect((await validate(victim.email, fresh.secret)).response.status).toBe(200);
    expect((await resetWith(victim.email, fresh.secret)).response.status).toBe(200);
    expect(await loginStatus(victim.email, 'Owner-Again-2026')).toBe(200);
  });

  it('a later mail (anyone can trigger one) and wrong codes do not void the owner\'s earlier link; the forgot-password link works too', async () => {
    const victim = await server.createUser();
    const forgot = await sdk.postForgotPassword({ client: server.client, body: { email: victim.email } });
    expect(forgot.response.status).toBe(200);
    const ownersSecret = linkFrom(await server.smtp.waitForMail(victim.email, { subject: /Reset your/ })).searchParams.get('otp')!;
    for (let round = 0; round < 3; round++) {
      server.clock.advance(MAIL_INTERVAL_MS);
      await codeMail(victim.email);
      for (let i = 0; i < 5; i++) await validate(victim.email, '123456');
    }
    expect((await resetWith(victim.email, ownersSecret)).response.status).toBe(200);
  });

  it('is single use, expires after 10 minutes, and a password change voids every other secret', async () => {
    const user = await server.createUser();
    const first = await codeMail(user.email);
    server.clock.advance(MAIL_INTERVAL_MS);
    const second = await codeMail(user.email);
    expect((await resetWith(user.email, second.secret)).response.status).toBe(200);
    expect((await resetWith(user.email, second.secret, 'Second-Use-2026')).error).toEqual(otpInvalid);
    expect((await validate(user.email, first.secret)).error).toEqual(otpInvalid);
    expect((await resetWith(user.email, first.secret, 'Older-Mail-2026')).error).toEqual(otpInvalid);

    server.clock.advance(MAIL_INTERVAL_MS);
    const late = await codeMail(user.email);
    server.clock.advance(CODE_TTL_MS);
    expect((await validate(user.email, late.secret)).error).toEqual(otpInvalid);
    expect((await resetWith(user.email, late.secret)).error).toEqual(otpInvalid);
  });

  it('opens only the account it was mailed for', async () => {
    const a = await server.createUser();
    const b = await server.createUser();
    const { secret } = await codeMail(a.email);
    expect((await validate(b.email, secret)).error).toEqual(otpInvalid);
    expect((await resetWith(b.email, secret)).error).toEqual(otpInvalid);
    expect((await validate('nobody-here@example.com', secret)).error).toEqual(otpInvalid);
    expect((await validate(a.email, secret)).response.status).toBe(200);
  });

  it('is bound to the address it was mailed to: once the account has moved, it opens nothing', async () => {
    const user = await server.createUser();
    const { secret } = await codeMail(user.email);
    const moved = `moved-${Date.now()}@example.com`;
    await server.deps.db('users').where({ id: user.id }).update({ email: moved }); // as PUT /user/email does
    for (const email of [moved, user.email]) {
      expect((await validate(email, secret)).error).toEqual(otpInvalid);
      expect((await resetWith(email, secret)).error).toEqual(otpInvalid);
    }
  });

  it('of two parallel resets with one secret exactly one succeeds', async () => {
    const user = await server.createUser();
    const { secret } = await codeMail(user.email);
    const statuses = (await Promise.all([resetWith(user.email, secret, 'Racer-One-2026'), resetWith(user.email, secret, 'Racer-Two-2026')]))
      .map((r) => r.response.status)
      .sort();
    expect(statuses).toEqual([200, 401]);
  });
});

describe('guessing stays bounded per account', () => {
  it('6-digit codes: past 10 wrong ones a day even the right code is refused, across fresh mails; a day later it works', async () => {
    const user = await server.createUser();
    let mail = await codeMail(user.email);
    for (let i = 0; i < MAX_FAILURES_PER_DAY; i++) {
      if (i === 5) {
        server.clock.advance(MAIL_INTERVAL_MS);
        mail = await codeMail(user.email); // the first code was burned after 5
      }
      expect((await validate(user.email, wrongCode(mail.code))).error).toEqual(otpInvalid);
    }
    server.clock.advance(MAIL_INTERVAL_MS);
    mail = await codeMail(user.email);
    expect((await validate(user.email, mail.code)).error).toEqual(otpInvalid);
    expect((await resetWith(user.email, mail.code)).error).toEqual(otpInvalid);
    server.clock.advance(FAILURE_WINDOW_MS);
    mail = await codeMail(user.email);
    expect((await validate(user.email, mail.code)).response.status).toBe(200);
  });

  it('secrets: guesses in the long form are refused (256 random bits each), and a live one still works after them', async () => {
    const user = await server.createUser();
    const { secret } = await codeMail(user.email);
    for (let i = 0; i < 20; i++) {
      expect((await validate(user.email, secretGuess())).error).toEqual(otpInvalid);
      expect((await resetWith(user.email, secretGuess())).error).toEqual(otpInvalid);
    }
    expect((await resetWith(user.email, secret)).response.status).toBe(200);
  });

  it('an otp of neither form is a 400', async () => {
    for (const otp of ['12345', '1234567', `${secretGuess()}x`, `${secretGuess().slice(0, 42)}=`]) {
      const { response } = await validate('someone@example.com', otp);
      expect(response.status).toBe(400);
    }
  });
});
