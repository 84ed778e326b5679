import { mkdtemp, cp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { wrongCode } from '../support/codes.js';
import { codeFrom } from '../support/smtp.js';
import { bearer } from '../support/server.js';
import { enableTotpFor, loginTokens } from '../support/two-factor.js';
import {
  MAIL_INTERVAL_MS, linkFrom, mailedResetCode, startServerWithMail, type MailTestServer,
} from './support.js';

let server: MailTestServer;
beforeAll(async () => {
  server = await startServerWithMail();
});
afterAll(() => server.close());

const NEW_PASSWORD = 'Fresh-Start-2026';
const otpInvalid = { statusCode: 401, error: 'Unauthorized', message: 'OTP_INVALID_EXPIRED' };

const validate = (email: string, otp: string) => sdk.validatePasswordReset({ client: server.client, body: { email, otp } });
const resetWith = (userEmail: string, otp: string, newPassword = NEW_PASSWORD) =>
  sdk.updatePasswordViaOtp({ client: server.client, body: { userEmail, otp, newPassword } });

describe('POST /user/password/reset/send → validate → PUT /user/password/otp', () => {
  it('mails a 6-digit code that validates without being consumed and then sets the password', async () => {
    const user = await server.createUser();
    const send = await sdk.sendPasswordReset({ client: server.client, body: { email: user.email } });
    expect(send.response.status).toBe(200);
    expect(send.data).toBeNull();
    const mail = await server.smtp.waitForMail(user.email);
    expect(mail.subject).toBe('Your SmartgridOne password reset code');
    const code = codeFrom(mail);
    expect(code).toMatch(/^\d{6}$/);

    // Validating twice: the code is not consumed.
    for (let i = 0; i < 2; i++) {
      const ok = await validate(user.email, code);
      expect(ok.response.status).toBe(200);
      expect(ok.data).toBeNull();
    }
    const reset = await resetWith(user.email.toUpperCase(), code);
    expect(reset.response.status).toBe(200);
    expect(reset.data).toBeNull();

    // New password in, old one out; the code is used up.
    expect((await sdk.login({ client: server.client, body: { username: user.email, password: NEW_PASSWORD } })).response.status).toBe(200);
    expect((await sdk.login({ client: server.client, body: { username: user.email, password: user.password } })).error).toMatchObject({ message: 'PASSWORD_INCORRECT' });
    expect((await resetWith(user.email, code, 'Another-Pass-77')).error).toEqual(otpInvalid);
    expect((await validate(user.email, code)).error).toEqual(otpInvalid);

    const notice = await server.smtp.waitForMail(user.email, { subject: /password was changed/ });
    expect(notice.text).toContain(user.email);
    expect(notice.text).not.toMatch(/\b\d{6}\b/);
  });

  it('answers 401 OTP_INVALID_EXPIRED to a wrong code and to an unknown email, with the same body', async () => {
    const user = await server.createUser();
    const code = await mailedResetCode(server, user.email);
    const wrong = await validate(user.email, wrongCode(code));
    const unknown = await validate('nobody-here@example.com', code);
    expect(wrong.response.status).toBe(401);
    expect(wrong.error).toEqual(otpInvalid);
    expect(unknown.response.status).toBe(401);
    expect(unknown.error).toEqual(otpInvalid);
    expect((await resetWith('nobody-here@example.com', code)).error).toEqual(otpInvalid);
  });

  it('burns the code after 5 wrong tries (validate and otp both count), even for the right code afterwards', async () => {
    const user = await server.createUser();
    const code = await mailedResetCode(server, user.email);
    for (let i = 0; i < 4; i++) expect((await validate(user.email, wrongCode(code))).response.status).toBe(401);
    // 4 wrong tries: still alive.
    expect((await validate(user.email, code)).response.status).toBe(200);
    expect((await resetWith(user.email, wrongCode(code))).response.status).toBe(401);
    // The 5th wrong try burnt it.
    expect((await validate(user.email, code)).error).toEqual(otpInvalid);
    expect((await resetWith(user.email, code)).error).toEqual(otpInvalid);
  });

  it('a new code replaces the old one', async () => {
    const user = await server.createUser();
    const first = await mailedResetCode(server, user.email);
    server.clock.advance(MAIL_INTERVAL_MS);
    let second = await mailedResetCode(server, user.email);
    while (second === first) {
      // One chance in a million: draw again.
      server.clock.advance(MAIL_INTERVAL_MS);
      second = await mailedResetCode(server, user.email);
    }
    expect((await validate(user.email, first)).error).toEqual(otpInvalid);
    expect((await validate(user.email, second)).response.status).toBe(200);
  });

  it('expires the code after 10 minutes', async () => {
    const user = await server.createUser();
    const code = await mailedResetCode(server, user.email);
    server.clock.advance(10 * 60_000 - 1000);
    expect((await validate(user.email, code)).response.status).toBe(200);
    server.clock.advance(1000);
    expect((await validate(user.email, code)).error).toEqual(otpInvalid);
  });

  it('answers 400 naming the broken rule, without spending the code', async () => {
    const user = await server.createUser();
    const code = await mailedResetCode(server, user.email);
    const cases: [string, string][] = [
      // Length is in the schema, so the validator words it.
      ['Short1a', 'body.newPassword must NOT have fewer than 8 characters'],
      [`Aa1${'x'.repeat(254)}`, 'body.newPassword must NOT have more than 256 characters'],
      ['NOLOWERCASE1', 'newPassword must contain a lowercase letter'],
      ['nouppercase1', 'newPassword must contain an uppercase letter'],
      ['NoDigitsHere', 'newPassword must contain a digit'],
      ['Password1', 'newPassword must not be a commonly used password'],
      ['pASSWORD123', 'newPassword must not be a commonly used password'],
    ];
    for (const [password, message] of cases) {
      const { response, error } = await resetWith(user.email, code, password);
      expect(response.status).toBe(400);
      expect(error).toEqual({ statusCode: 400, error: 'Bad Request', message });
    }
    expect((await resetWith(user.email, code)).response.status).toBe(200);
  });

  it('answers 400 with the validator text for a malformed request', async () => {
    const missing = await sdk.sendPasswordReset({ client: server.client, body: {} as never });
    expect(missing.error).toEqual({ statusCode: 400, error: 'Bad Request', message: "body must have required property 'email'" });
    const shortOtp = await validate('a@example.com', '12345');
    expect(shortOtp.response.status).toBe(400);
    const letters = await resetWith('a@example.com', 'abcdef');
    expect(letters.response.status).toBe(400);
  });

  it('of two parallel resets with one code exactly one succeeds', async () => {
    const user = await server.createUser();
    const code = await mailedResetCode(server, user.email);
    const results = await Promise.all([resetWith(user.email, code, 'Parallel-One-11'), resetWith(user.email, code, 'Parallel-Two-22')]);
    expect(results.map((r) => r.response.status).sort()).toEqual([200, 401]);
    const winner = results[0]!.response.status === 200 ? 'Parallel-One-11' : 'Parallel-Two-22';
    expect((await sdk.login({ client: server.client, body: { username: user.email, password: winner } })).response.status).toBe(200);
    // One change, one notice.
    await server.smtp.waitForMail(user.email, { subject: /password was changed/ });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(server.smtp.mailsTo(user.email).filter((m) => /password was changed/.test(m.subject ?? ''))).toHaveLength(1);
  });
});

describe('what a reset does to the account', () => {
  it('revokes every refresh token and voids earlier access tokens', async () => {
    const user = await server.createUser();
    const sessionA = await loginTokens(server, user);
    const sessionB = await loginTokens(server, user);
    // Both sessions work before the reset, so their refusal afterwards is the reset's doing.
    for (const session of [sessionA, sessionB]) {
      expect((await sdk.validateAccessToken({ client: server.client, headers: bearer(session.accessToken) })).data).toEqual({ userId: user.id });
      expect((await sdk.validateRefreshToken({ client: server.client, headers: bearer(session.refreshToken) })).data).toEqual({ userId: user.id });
    }
    const code = await mailedResetCode(server, user.email);
    expect((await resetWith(user.email, code)).response.status).toBe(200);

    for (const session of [sessionA, sessionB]) {
      const refresh = await sdk.getAccessToken({ client: server.client, headers: bearer(session.refreshToken) });
      expect(refresh.error).toMatchObject({ statusCode: 401, message: 'INVALID_TOKEN' });
      const access = await sdk.validateAccessToken({ client: server.client, headers: bearer(session.accessToken) });
      expect(access.error).toMatchObject({ statusCode: 401, message: 'INVALID_TOKEN' });
    }
    // A new login works and its tokens do.
    const fresh = await loginTokens(server, { email: user.email, password: NEW_PASSWORD });
    expect((await sdk.validateAccessToken({ client: server.client, headers: bearer(fresh.accessToken) })).data).toEqual({ userId: user.id });
  });

  it('resets the password backoff', async () => {
    const user = await server.createUser();
    for (let i = 0; i < 3; i++) await sdk.login({ client: server.client, body: { username: user.email, password: 'Wrong-Guess-1' } });
    expect((await sdk.login({ client: server.client, body: { username: user.email, password: user.password } })).response.status).toBe(429);
    const code = await mailedResetCode(server, user.email);
    expect((await resetWith(user.email, code)).response.status).toBe(200);
    expect((await sdk.login({ client: server.client, body: { username: user.email, password: NEW_PASSWORD } })).response.status).toBe(200);
  });

  it('leaves 2FA on: the next login still asks for it', async () => {
    const user = await server.createUser();
    await enableTotpFor(server, user);
    const code = await mailedResetCode(server, user.email);
    expect((await resetWith(user.email, code)).response.status).toBe(200);
    const login = await sdk.login({ client: server.client, body: { username: user.email, password: NEW_PASSWORD } });
    expect(login.response.status).toBe(401);
    expect(login.error).toMatchObject({ message: '2FA_REQUIRED', methods: ['totp', 'recoveryCode'] });
  });
});

describe('POST /v1/auth/forgot-password', () => {
  it('mails a link to <link base>/reset-password?email=…&otp=… that completes with PUT /user/password/otp', async () => {
    const user = await server.createUser(`Plus+Tag-${Date.now()}@Example.com`);
    const send = await sdk.postForgotPassword({ client: server.client, body: { email: user.email } });
    expect(send.response.status).toBe(200);
    expect(send.data).toBeNull();
    const mail = await server.smtp.waitForMail(user.email);
    expect(mail.subject).toBe('Reset your SmartgridOne password');
    const link = linkFrom(mail);
    expect(`${link.origin}${link.pathname}`).toBe('https://app.smartgridone.com/reset-password');
    expect([...link.searchParams.keys()]).toEqual(['email', 'otp']);
    expect(link.searchParams.get('email')).toBe(user.email);
    const otp = link.searchParams.get('otp')!;
    expect(otp).toMatch(/^[A-Za-z0-9_-]{43}$/); // the long reset secret (test/password/reset-secret.test.ts)
    expect(mail.html).toContain(link.href.replace(/&/g, '&amp;'));

    expect((await validate(link.searchParams.get('email')!, otp)).response.status).toBe(200);
    expect((await resetWith(link.searchParams.get('email')!, otp)).response.status).toBe(200);
    expect((await sdk.login({ client: server.client, body: { username: user.email, password: NEW_PASSWORD } })).response.status).toBe(200);
  });

  it('uses the link base of the configuration the origin selects; an unknown origin gets the default one', async () => {
    const known = await server.createUser();
    await sdk.postForgotPassword({ client: server.client, body: { email: known.email }, query: { origin: 'http://localhost:5173', language: 'xx' } });
    expect(linkFrom(await server.smtp.waitForMail(known.email)).origin).toBe('https://app.smartgridone.com');
    const branded = await server.createUser();
    await sdk.postForgotPassword({ client: server.client, body: { email: branded.email }, query: { origin: 'https://installer.gridwise.eu', language: 'en' } });
    const brandedMail = await server.smtp.waitForMail(branded.email);
    expect(brandedMail.from?.value[0]?.address).toBe('no-reply@gridwise.eu');
    const brandedLink = linkFrom(brandedMail);
    // The configuration's link base keeps its path prefix.
    expect(`${brandedLink.origin}${brandedLink.pathname}`).toBe('https://app.gridwise.eu/account/reset-password');
    expect((await resetWith(branded.email, brandedLink.searchParams.get('otp')!)).response.status).toBe(200);
    const other = await server.createUser();
    await sdk.postForgotPassword({ client: server.client, body: { email: other.email }, query: { origin: 'https://evil.example' } });
    const mail = await server.smtp.waitForMail(other.email);
    expect(linkFrom(mail).origin).toBe('https://app.smartgridone.com');
    expect(mail.text).not.toContain('evil.example');
  });

  it('shares the code and the 60 s limit with reset/send: the newer mail replaces the older code', async () => {
    const user = await server.createUser();
    const code = await mailedResetCode(server, user.email);
    const early = await sdk.postForgotPassword({ client: server.client, body: { email: user.email } });
    expect(early.response.status).toBe(429);
    expect(early.error).toMatchObject({ message: 'TOO_MANY_RESET_MAIL_ATTEMPTS' });
    server.clock.advance(MAIL_INTERVAL_MS);
    expect((await sdk.postForgotPassword({ client: server.client, body: { email: user.email } })).response.status).toBe(200);
    const otp = linkFrom(await server.smtp.waitForMail(user.email)).searchParams.get('otp')!;
    if (otp !== code) expect((await validate(user.email, code)).error).toEqual(otpInvalid);
    expect((await resetWith(user.email, otp)).response.status).toBe(200);
  });

  it('answers 400 for an email shorter than 5 characters', async () => {
    const { response } = await sdk.postForgotPassword({ client: server.client, body: { email: 'a@b' } });
    expect(response.status).toBe(400);
  });
});

describe('reset mail limits and refusals (both endpoints)', () => {
  const senders = {
    'reset/send': (email: string) => sdk.sendPasswordReset({ client: server.client, body: { email } }),
    'forgot-password': (email: string) => sdk.postForgotPassword({ client: server.client, body: { email } }),
  };

  it.each(Object.keys(senders))('%s: 429 TOO_MANY_RESET_MAIL_ATTEMPTS with retryAfter within 60 s, per email, known or not', async (name) => {
    const send = senders[name as keyof typeof senders];
    const user = await server.createUser();
    const unknown = `unknown-${Date.now()}-${name.length}@example.com`;
    for (const email of [user.email, unknown]) {
      expect((await send(email)).response.status).toBe(200);
      server.clock.advance(20_000);
      const again = await send(email.toUpperCase());
      expect(again.response.status).toBe(429);
      expect(again.error).toEqual({ statusCode: 429, error: 'Too many requests', message: 'TOO_MANY_RESET_MAIL_ATTEMPTS', retryAfter: 40 });
      expect(again.response.headers.get('retry-after')).toBe('40');
      server.clock.advance(40_000);
      expect((await send(email)).response.status).toBe(200);
    }
    // Another address is not held back by these.
    expect((await send(`other-${Date.now()}-${name.length}@example.com`)).response.status).toBe(200);
  });

  it.each(Object.keys(senders))('%s: 403 FORBIDDEN_MAIL_PROVIDER for a disposable domain, before any throttle', async (name) => {
    const send = senders[name as keyof typeof senders];
    for (let i = 0; i < 2; i++) {
      const { response, error } = await send('someone@mailinator.com');
      expect(response.status).toBe(403);
      expect(error).toEqual({ statusCode: 403, error: 'Forbidden', message: 'FORBIDDEN_MAIL_PROVIDER' });
    }
  });
});

describe('a mail configuration without the reset templates', () => {
  let broken: MailTestServer;
  let templatesDir: string;
  beforeAll(async () => {
    templatesDir = await mkdtemp(join(tmpdir(), 'sg1-templates-'));
    await cp('templates', templatesDir, { recursive: true });
    for (const kind of ['password_reset_code', 'password_reset_link']) {
      for (const part of ['subject', 'html', 'txt']) await rm(join(templatesDir, 'smartgridone', 'en', `${kind}.${part}.eta`));
    }
    broken = await startServerWithMail({ templatesDir });
  });
  afterAll(async () => {
    await broken.close();
    await rm(templatesDir, { recursive: true, force: true });
  });

  it('answers 500 UNABLE_TO_FIND_MAIL_TEMPLATE for known and unknown emails and stores nothing', async () => {
    const user = await broken.createUser();
    for (const email of [user.email, 'nobody-at-all@example.com']) {
      const send = await sdk.sendPasswordReset({ client: broken.client, body: { email } });
      const forgot = await sdk.postForgotPassword({ client: broken.client, body: { email } });
      for (const { response, error } of [send, forgot]) {
        expect(response.status).toBe(500);
        expect(error).toEqual({ statusCode: 500, error: 'Internal server error', message: 'UNABLE_TO_FIND_MAIL_TEMPLATE' });
      }
    }
    const db = broken.deps.db;
    const rows = async (table: string) => Number((await db(table).count({ n: '*' }).first())?.n);
    expect(await rows('one_time_codes')).toBe(0);
    expect(await rows('mail_outbox')).toBe(0);
    expect(await rows('mail_throttle')).toBe(0);
  });
});
