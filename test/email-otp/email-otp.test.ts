import type { TokenSet } from '../../generated/types.gen.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { bearer } from '../support/server.js';
import { mintToken, startMailTestServer, type MailTestServer } from '../support/server-with-smtp.js';
import { codeFrom } from '../support/smtp.js';
import { statementsDuring } from '../support/round-trips.js';
import { loginPartial, sudoViaTotp, userWithTotp } from '../support/two-factor.js';
import {
  challengeCode, freshUser, newAddress, recoveryCodeCount, setupCode, userWithEmailOtp, userWithTotpAndSudo,
} from './support.js';
import { wrongCode } from '../support/codes.js';

let server: MailTestServer;
beforeAll(async () => {
  server = await startMailTestServer({ blockedMailDomains: ['blocked.test'] });
});
afterAll(() => server.close());

const conflict = (message: string) => ({ statusCode: 409, error: 'Conflict', message });
const unauthorized = (message: string) => ({ statusCode: 401, error: 'Unauthorized', message });

describe('POST /user/2fa/email-otp/setup (initiateEmailOtp)', () => {
  it('mails a 6-digit code to the given address, which may differ from the account email, and leaves the method pending', async () => {
    const { user, accessToken } = await freshUser(server);
    const address = newAddress('Other');
    const setup = await sdk.initiateEmailOtp({ client: server.client, headers: bearer(accessToken), body: { email: address } });
    expect(setup.response.status).toBe(200);
    expect(setup.data).toBeNull();
    const mail = await server.smtp.waitForMail(address);
    expect(mail.subject).toMatch(/two-step verification/i);
    expect(mail.from?.text).toContain('no-reply@smartgridone.com');
    expect(codeFrom(mail)).toMatch(/^\d{6}$/);
    expect(server.smtp.mailsTo(user.email)).toEqual([]);

    const status = await sdk.getTwoFa({ client: server.client, headers: bearer(accessToken) });
    expect(status.data).toMatchObject({ enabled: false, emailOtp: { email: address.toLowerCase(), completedAt: null } });
  });

  it('uses the configuration default language for an unknown language and accepts an unknown origin', async () => {
    const { accessToken } = await freshUser(server);
    const address = newAddress();
    const setup = await sdk.initiateEmailOtp({
      client: server.client, headers: bearer(accessToken), body: { email: address }, query: { origin: 'https://evil.example', language: 'xx' },
    });
    expect(setup.response.status).toBe(200);
    const mail = await server.smtp.waitForMail(address);
    expect(mail.text).not.toContain('evil.example');
    expect(mail.html).not.toContain('evil.example');
  });

  it('answers 400 for a malformed body or query', async () => {
    const { accessToken } = await freshUser(server);
    const noEmail = await sdk.initiateEmailOtp({ client: server.client, headers: bearer(accessToken), body: {} as never });
    expect(noEmail.response.status).toBe(400);
    expect(noEmail.error).toEqual({ statusCode: 400, error: 'Bad Request', message: "body must have required property 'email'" });
    const badEmail = await sdk.initiateEmailOtp({ client: server.client, headers: bearer(accessToken), body: { email: 'not-an-address' } });
    expect(badEmail.response.status).toBe(400);
    const badLanguage = await sdk.initiateEmailOtp({ client: server.client, headers: bearer(accessToken), body: { email: newAddress() }, query: { language: 'eng' } });
    expect(badLanguage.response.status).toBe(400);
  });

  it('answers 401 for a missing, a partial, and (with 2FA on) an access token', async () => {
    const body = { email: newAddress() };
    const none = await sdk.initiateEmailOtp({ client: server.client, body });
    expect(none.error).toEqual(unauthorized('NO_TOKEN_PROVIDED'));
    const { user, accessToken } = await userWithEmailOtp(server);
    const partial = await sdk.initiateEmailOtp({ client: server.client, headers: bearer(await mintToken(server, user.id, 'partial')), body });
    expect(partial.error).toEqual(unauthorized('INVALID_TOKEN'));
    const access = await sdk.initiateEmailOtp({ client: server.client, headers: bearer(accessToken), body });
    expect(access.response.status).toBe(401);
    expect(access.error).toEqual(unauthorized('SUDO_TOKEN_REQUIRED'));
    const sudo = await sdk.initiateEmailOtp({ client: server.client, headers: bearer(await mintToken(server, user.id, 'sudo')), body });
    expect(sudo.response.status).toBe(200);
  });

  it('answers 403 FORBIDDEN_MAIL_PROVIDER for a disposable domain and stores nothing', async () => {
    const { user, accessToken } = await freshUser(server);
    for (const email of ['someone@mailinator.com', 'someone@sub.blocked.test']) {
      const setup = await sdk.initiateEmailOtp({ client: server.client, headers: bearer(accessToken), body: { email } });
      expect(setup.response.status).toBe(403);
      expect(setup.error).toEqual({ statusCode: 403, error: 'Forbidden', message: 'FORBIDDEN_MAIL_PROVIDER' });
    }
    expect(await server.deps.db('email_otp_factors').where({ user_id: user.id })).toEqual([]);
    expect(await server.deps.db('one_time_codes').where({ user_id: user.id })).toEqual([]);
    // The slot was not used up either.
    expect((await sdk.initiateEmailOtp({ client: server.client, headers: bearer(accessToken), body: { email: newAddress() } })).response.status).toBe(200);
  });

  it('answers 429 TOO_MANY_OTP_EMAILS within 60 s, with Retry-After and retryAfter rounded up, and sends no mail', async () => {
    const { accessToken } = await freshUser(server);
    const first = newAddress();
    await setupCode(server, accessToken, first);
    server.clock.advance(59_500);
    const second = newAddress();
    const early = await sdk.initiateEmailOtp({ client: server.client, headers: bearer(accessToken), body: { email: second } });
    expect(early.response.status).toBe(429);
    expect(early.error).toEqual({ statusCode: 429, error: 'Too many requests', message: 'TOO_MANY_OTP_EMAILS', retryAfter: 1 });
    expect(early.response.headers.get('retry-after')).toBe('1');
    // Nothing was queued for the refused address (the outbox is where every mail starts).
    const queuedFor = (address: string) => server.deps.db('mail_outbox').where({ to_address: address.toLowerCase() }).count({ n: '*' }).first();
    expect(await queuedFor(second)).toEqual({ n: 0 });
    server.clock.advance(500);
    await setupCode(server, accessToken, second);
    expect(await queuedFor(second)).toEqual({ n: 1 });
    expect(server.smtp.mailsTo(second)).toHaveLength(1);
  });

  it('keeps an active email OTP working until the new address is enabled', async () => {
    const { user, accessToken, address } = await userWithEmailOtp(server);
    const sudo = await mintToken(server, user.id, 'sudo');
    const next = newAddress('next');
    const newCode = await setupCode(server, sudo, next);

    // Challenges still go to the active address, and its codes still work.
    const partial = await mintToken(server, user.id, 'partial');
    const code = await challengeCode(server, partial, address);
    const verified = await sdk.verifyEmailOtpAuthentication({ client: server.client, headers: bearer(partial), body: { otp: code } });
    expect(verified.response.status).toBe(200);
    expect((await sdk.getTwoFa({ client: server.client, headers: bearer(accessToken) })).data!.emailOtp!.email).toBe(address.toLowerCase());

    const enable = await sdk.completeEmailOtp({ client: server.client, headers: bearer(accessToken), body: { otp: newCode } });
    expect(enable.response.status).toBe(200);
    // Email OTP was already on: no new recovery codes.
    expect(enable.data).toEqual({ recoveryCodes: [] });
    server.clock.advance(60_000);
    await challengeCode(server, partial, next);
  });
});

describe('POST /user/2fa/email-otp/enable (completeEmailOtp)', () => {
  it('enables email OTP as the first method: 10 recovery codes, 2FA on, login asks for it', async () => {
    const { user, accessToken } = await freshUser(server);
    const address = newAddress();
    const code = await setupCode(server, accessToken, address);
    const enable = await sdk.completeEmailOtp({ client: server.client, headers: bearer(accessToken), body: { otp: code } });
    expect(enable.response.status).toBe(200);
    expect(enable.data!.recoveryCodes).toHaveLength(10);
    for (const recoveryCode of enable.data!.recoveryCodes) expect(recoveryCode).toMatch(/^[A-Z0-9]{16}$/);
    expect(await recoveryCodeCount(server, user.id)).toBe(10);

    const status = await sdk.getTwoFa({ client: server.client, headers: bearer(accessToken) });
    expect(status.data).toMatchObject({ enabled: true, emailOtp: { email: address.toLowerCase() } });
    expect(status.data!.emailOtp!.completedAt).not.toBeNull();

    const login = await sdk.login({ client: server.client, body: { username: user.email, password: user.password } });
    expect(login.response.status).toBe(401);
    expect(login.error).toMatchObject({ message: '2FA_REQUIRED', methods: ['emailOtp', 'recoveryCode'] });
  });

  it('enables email OTP as a second method: [] and the existing recovery codes are kept', async () => {
    const { user, sudoToken, accessToken } = await userWithTotpAndSudo(server);
    const before = await server.deps.db('recovery_codes').where({ user_id: user.id }).orderBy('id').pluck('code_hash');
    const code = await setupCode(server, sudoToken, newAddress());
    const enable = await sdk.completeEmailOtp({ client: server.client, headers: bearer(accessToken), body: { otp: code } });
    expect(enable.response.status).toBe(200);
    expect(enable.data).toEqual({ recoveryCodes: [] });
    expect(await server.deps.db('recovery_codes').where({ user_id: user.id }).orderBy('id').pluck('code_hash')).toEqual(before);
  });

  it('answers 401 OTP_INVALID_EXPIRED for a wrong code and 409 EMAIL_OTP_UNINITIALIZED when nothing is pending', async () => {
    const { accessToken } = await freshUser(server);
    const nothing = await sdk.completeEmailOtp({ client: server.client, headers: bearer(accessToken), body: { otp: '123456' } });
    expect(nothing.response.status).toBe(409);
    expect(nothing.error).toEqual(conflict('EMAIL_OTP_UNINITIALIZED'));

    const code = await setupCode(server, accessToken, newAddress());
    const wrong = await sdk.completeEmailOtp({ client: server.client, headers: bearer(accessToken), body: { otp: wrongCode(code) } });
    expect(wrong.response.status).toBe(401);
    expect(wrong.error).toEqual(unauthorized('OTP_INVALID_EXPIRED'));

    expect((await sdk.completeEmailOtp({ client: server.client, headers: bearer(accessToken), body: { otp: code } })).response.status).toBe(200);
    // Used: nothing is pending any more.
    const again = await sdk.completeEmailOtp({ client: server.client, headers: bearer(accessToken), body: { otp: code } });
    expect(again.error).toEqual(conflict('EMAIL_OTP_UNINITIALIZED'));
  });

  it('answers 400/401 for bad input and tokens, and takes the setup code a challenge resends while pending', async () => {
    const { user, accessToken } = await freshUser(server);
    const short = await sdk.completeEmailOtp({ client: server.client, headers: bearer(accessToken), body: { otp: '12345' } });
    expect(short.response.status).toBe(400);
    const partial = await sdk.completeEmailOtp({ client: server.client, headers: bearer(await mintToken(server, user.id, 'partial')), body: { otp: '123456' } });
    expect(partial.error).toEqual(unauthorized('INVALID_TOKEN'));
    const none = await sdk.completeEmailOtp({ client: server.client, body: { otp: '123456' } });
    expect(none.error).toEqual(unauthorized('NO_TOKEN_PROVIDED'));

    const address = newAddress();
    await setupCode(server, accessToken, address);
    server.clock.advance(60_000);
    // Before enabling, a challenge resends the setup code (a new one) to the pending address.
    const resent = await challengeCode(server, accessToken, address);
    const enable = await sdk.completeEmailOtp({ client: server.client, headers: bearer(accessToken), body: { otp: resent } });
    expect(enable.response.status).toBe(200);
  });

  it('does not accept a challenge code of the active address for a new address', async () => {
    const { user, address } = await userWithEmailOtp(server);
    const sudo = await mintToken(server, user.id, 'sudo');
    const setup = await setupCode(server, sudo, newAddress('next'));
    // Enabled: the challenge mails a challenge code (not a setup code) to the active address.
    const challenge = await challengeCode(server, await mintToken(server, user.id, 'partial'), address);
    expect(challenge).not.toBe(setup);
    const refused = await sdk.completeEmailOtp({ client: server.client, headers: bearer(sudo), body: { otp: challenge } });
    expect(refused.response.status).toBe(401);
    expect(refused.error).toEqual(unauthorized('OTP_INVALID_EXPIRED'));
    expect((await sdk.getTwoFa({ client: server.client, headers: bearer(sudo) })).data!.emailOtp!.email).toBe(address.toLowerCase());
    // The setup code is what enables the new address.
    expect((await sdk.completeEmailOtp({ client: server.client, headers: bearer(sudo), body: { otp: setup } })).response.status).toBe(200);
  });
});

describe('email OTP next to TOTP, both through the API', () => {
  it('second method → []; login offers both; removing both turns 2FA off and deletes the recovery codes', async () => {
    const { user, url, recoveryCodes } = await userWithTotp(server);
    expect(recoveryCodes).toHaveLength(10);
    const partial = (await loginPartial(server, user)).partialToken;
    const sudo = await sudoViaTotp(server, partial, url);
    const address = newAddress();
    const code = await setupCode(server, sudo, address);
    const enable = await sdk.completeEmailOtp({ client: server.client, headers: bearer(sudo), body: { otp: code } });
    expect(enable.data).toEqual({ recoveryCodes: [] });
    expect((await loginPartial(server, user)).methods).toEqual(['totp', 'emailOtp', 'recoveryCode']);

    expect((await sdk.removeEmailOtp({ client: server.client, headers: bearer(sudo) })).response.status).toBe(200);
    expect(await recoveryCodeCount(server, user.id)).toBe(10);
    expect((await sdk.removeTotp({ client: server.client, headers: bearer(sudo) })).response.status).toBe(200);
    expect(await recoveryCodeCount(server, user.id)).toBe(0);
  });
});

describe('POST /user/2fa/email-otp/challenge and /authenticate', () => {
  it('mails a code to the active address with a partial token and trades it for access, refresh and sudo tokens', async () => {
    const { user, address } = await userWithEmailOtp(server);
    const login = await sdk.login({ client: server.client, body: { username: user.email, password: user.password } });
    const { partialToken } = login.error as unknown as { partialToken: string };
    const code = await challengeCode(server, partialToken, address);
    const mail = server.smtp.mailsTo(address).at(-1)!;
    expect(mail.subject).not.toMatch(/confirm/i);

    const verified = await sdk.verifyEmailOtpAuthentication({ client: server.client, headers: bearer(partialToken), body: { otp: code } });
    expect(verified.response.status).toBe(200);
    const { accessToken, refreshToken, sudoToken } = verified.data! as TokenSet; // no cookie mode: all three in the body
    expect((await sdk.validateAccessToken({ client: server.client, headers: bearer(accessToken) })).data).toEqual({ userId: user.id });
    expect((await sdk.validateRefreshToken({ client: server.client, headers: bearer(refreshToken) })).data).toEqual({ userId: user.id });
    // The sudo token is what a sudo-only operation needs.
    expect((await sdk.removeEmailOtp({ client: server.client, headers: bearer(sudoToken) })).response.status).toBe(200);
  });

  it('challenge: 409 EMAIL_OTP_UNINITIALIZED without a setup, 429 TOO_MANY_OTP_EMAILS within 60 s, 400 for a body, 401 without token', async () => {
    const { accessToken } = await freshUser(server);
    const uninitialized = await sdk.initiateEmailOtpAuthentication({ client: server.client, headers: bearer(accessToken), body: {} });
    expect(uninitialized.response.status).toBe(409);
    expect(uninitialized.error).toEqual(conflict('EMAIL_OTP_UNINITIALIZED'));
    const withBody = await sdk.initiateEmailOtpAuthentication({ client: server.client, headers: bearer(accessToken), body: { email: 'x@example.com' } as never });
    expect(withBody.response.status).toBe(400);
    const none = await sdk.initiateEmailOtpAuthentication({ client: server.client, body: {} });
    expect(none.error).toEqual(unauthorized('NO_TOKEN_PROVIDED'));

    const { user, address } = await userWithEmailOtp(server);
    const partial = await mintToken(server, user.id, 'partial');
    await challengeCode(server, partial, address);
    server.clock.advance(20_000);
    const early = await sdk.initiateEmailOtpAuthentication({ client: server.client, headers: bearer(partial), body: {} });
    expect(early.response.status).toBe(429);
    expect(early.error).toEqual({ statusCode: 429, error: 'Too many requests', message: 'TOO_MANY_OTP_EMAILS', retryAfter: 40 });
    expect(early.response.headers.get('retry-after')).toBe('40');
  });

  it('authenticate: 409 EMAIL_OTP_INACTIVE when set up but not enabled, and when never set up', async () => {
    const { accessToken } = await freshUser(server);
    const never = await sdk.verifyEmailOtpAuthentication({ client: server.client, headers: bearer(accessToken), body: { otp: '123456' } });
    expect(never.response.status).toBe(409);
    expect(never.error).toEqual(conflict('EMAIL_OTP_INACTIVE'));
    const code = await setupCode(server, accessToken, newAddress());
    const pending = await sdk.verifyEmailOtpAuthentication({ client: server.client, headers: bearer(accessToken), body: { otp: code } });
    expect(pending.error).toEqual(conflict('EMAIL_OTP_INACTIVE'));
  });

  it('authenticate: 401 OTP_INVALID_EXPIRED for a wrong code, a setup code, or no code sent; 400 for a bad code; 401 tokens', async () => {
    const { user, address } = await userWithEmailOtp(server);
    const partial = await mintToken(server, user.id, 'partial');
    const noneSent = await sdk.verifyEmailOtpAuthentication({ client: server.client, headers: bearer(partial), body: { otp: '123456' } });
    expect(noneSent.error).toEqual(unauthorized('OTP_INVALID_EXPIRED'));
    // A setup code (pending address change) is not a challenge code.
    const setup = await setupCode(server, await mintToken(server, user.id, 'sudo'), newAddress());
    const setupAsChallenge = await sdk.verifyEmailOtpAuthentication({ client: server.client, headers: bearer(partial), body: { otp: setup } });
    expect(setupAsChallenge.error).toEqual(unauthorized('OTP_INVALID_EXPIRED'));
    const code = await challengeCode(server, partial, address);
    const wrong = await sdk.verifyEmailOtpAuthentication({ client: server.client, headers: bearer(partial), body: { otp: wrongCode(code) } });
    expect(wrong.response.status).toBe(401);
    expect(wrong.error).toEqual(unauthorized('OTP_INVALID_EXPIRED'));
    const letters = await sdk.verifyEmailOtpAuthentication({ client: server.client, headers: bearer(partial), body: { otp: '1234567' } });
    expect(letters.response.status).toBe(400);
    const none = await sdk.verifyEmailOtpAuthentication({ client: server.client, body: { otp: code } });
    expect(none.error).toEqual(unauthorized('NO_TOKEN_PROVIDED'));
    const forged = await sdk.verifyEmailOtpAuthentication({ client: server.client, headers: bearer(`${partial}x`), body: { otp: code } });
    expect(forged.error).toEqual(unauthorized('INVALID_TOKEN'));
    // The right code still works after one wrong try, once.
    expect((await sdk.verifyEmailOtpAuthentication({ client: server.client, headers: bearer(partial), body: { otp: code } })).response.status).toBe(200);
    const reused = await sdk.verifyEmailOtpAuthentication({ client: server.client, headers: bearer(partial), body: { otp: code } });
    expect(reused.error).toEqual(unauthorized('OTP_INVALID_EXPIRED'));
  });
});

describe('POST /user/2fa/email-otp/authenticate round trips', () => {
  it('takes 7 statements, each row read once: BEGIN, factor with the token check, counter lock, code lock, code deleted, session (with the user row FOR SHARE and the event), COMMIT', async () => {
    const { user, address } = await userWithEmailOtp(server);
    const { partialToken } = await loginPartial(server, user);
    const code = await challengeCode(server, partialToken, address);
    const statements = await statementsDuring(server.deps.db, async () => {
      const verified = await sdk.verifyEmailOtpAuthentication({ client: server.client, headers: bearer(partialToken), body: { otp: code } });
      expect(verified.response.status).toBe(200);
    });
    expect(statements).toHaveLength(7);
    expect(statements.filter((sql) => /from "?users"?/.test(sql))).toHaveLength(2); // the token check, and the session statement's FOR SHARE re-check
  });

  it('refuses a token voided by a password change with 401 INVALID_TOKEN before a guess is counted, and leaves the code unused', async () => {
    const { user, address } = await userWithEmailOtp(server);
    const { partialToken } = await loginPartial(server, user);
    const code = await challengeCode(server, partialToken, address);
    await server.deps.db('users').where({ id: user.id }).update({ password_changed_at: new Date(server.clock.now() + 1000) });
    for (const otp of [wrongCode(code), code]) {
      const verified = await sdk.verifyEmailOtpAuthentication({ client: server.client, headers: bearer(partialToken), body: { otp } });
      expect(verified.error).toEqual(unauthorized('INVALID_TOKEN'));
    }
    expect(await server.deps.db('one_time_codes').where({ user_id: user.id, purpose: 'email_otp_challenge' }).first('failed_attempts')).toEqual({ failed_attempts: 0 });
  });
});

describe('GET /user/2fa/email-otp/next-email (newEmailOtpWaitDuration)', () => {
  it('reports whole seconds, rounded up, until the challenge may mail again', async () => {
    const { user, address } = await userWithEmailOtp(server);
    const partial = await mintToken(server, user.id, 'partial');
    const wait = async () => {
      const r = await sdk.newEmailOtpWaitDuration({ client: server.client, headers: bearer(partial) });
      expect(r.response.status).toBe(200);
      return r.data!.duration;
    };
    expect(await wait()).toBe(0);
    await challengeCode(server, partial, address);
    expect(await wait()).toBe(60);
    server.clock.advance(30_200);
    expect(await wait()).toBe(30);
    server.clock.advance(29_799);
    expect(await wait()).toBe(1);
    server.clock.advance(1);
    expect(await wait()).toBe(0);
  });

  it('while only set up, reports the wait of the setup mail (which the challenge would resend)', async () => {
    const { accessToken } = await freshUser(server);
    await setupCode(server, accessToken, newAddress());
    server.clock.advance(10_000);
    const r = await sdk.newEmailOtpWaitDuration({ client: server.client, headers: bearer(accessToken) });
    expect(r.data).toEqual({ duration: 50 });
  });

  it('answers 409 EMAIL_OTP_UNINITIALIZED without a setup and 401 without a token', async () => {
    const { accessToken } = await freshUser(server);
    const r = await sdk.newEmailOtpWaitDuration({ client: server.client, headers: bearer(accessToken) });
    expect(r.response.status).toBe(409);
    expect(r.error).toEqual(conflict('EMAIL_OTP_UNINITIALIZED'));
    expect((await sdk.newEmailOtpWaitDuration({ client: server.client })).error).toEqual(unauthorized('NO_TOKEN_PROVIDED'));
  });
});

describe('DELETE /user/2fa/email-otp (removeEmailOtp)', () => {
  it('removing the last method turns 2FA off and deletes the recovery codes', async () => {
    const { user, accessToken } = await userWithEmailOtp(server);
    expect(await recoveryCodeCount(server, user.id)).toBe(10);
    const access = await sdk.removeEmailOtp({ client: server.client, headers: bearer(accessToken) });
    expect(access.response.status).toBe(401);
    expect(access.error).toEqual(unauthorized('SUDO_TOKEN_REQUIRED'));
    expect((await sdk.removeEmailOtp({ client: server.client })).error).toEqual(unauthorized('NO_TOKEN_PROVIDED'));

    const removed = await sdk.removeEmailOtp({ client: server.client, headers: bearer(await mintToken(server, user.id, 'sudo')) });
    expect(removed.response.status).toBe(200);
    expect(removed.data).toBeNull();
    expect(await recoveryCodeCount(server, user.id)).toBe(0);
    const status = await sdk.getTwoFa({ client: server.client, headers: bearer(accessToken) });
    expect(status.data).toMatchObject({ enabled: false, emailOtp: null, recoveryCodes: null });
    const login = await sdk.login({ client: server.client, body: { username: user.email, password: user.password } });
    expect(login.response.status).toBe(200);
    // The codes of the removed method are gone too.
    expect(await server.deps.db('one_time_codes').where({ user_id: user.id }).whereIn('purpose', ['email_otp_setup', 'email_otp_challenge'])).toEqual([]);
  });

  it('keeps the recovery codes while another method stays active', async () => {
    const { user, sudoToken, accessToken } = await userWithTotpAndSudo(server);
    const code = await setupCode(server, sudoToken, newAddress());
    expect((await sdk.completeEmailOtp({ client: server.client, headers: bearer(accessToken), body: { otp: code } })).response.status).toBe(200);
    expect((await sdk.removeEmailOtp({ client: server.client, headers: bearer(sudoToken) })).response.status).toBe(200);
    expect(await recoveryCodeCount(server, user.id)).toBe(10);
    expect((await sdk.getTwoFa({ client: server.client, headers: bearer(accessToken) })).data).toMatchObject({ enabled: true, emailOtp: null });
  });

  it('answers 409 EMAIL_OTP_ALREADY_INACTIVE when never set up, only set up, or already removed', async () => {
    const { user, accessToken } = await freshUser(server);
    const sudo = await mintToken(server, user.id, 'sudo');
    const never = await sdk.removeEmailOtp({ client: server.client, headers: bearer(sudo) });
    expect(never.response.status).toBe(409);
    expect(never.error).toEqual(conflict('EMAIL_OTP_ALREADY_INACTIVE'));
    await setupCode(server, accessToken, newAddress());
    expect((await sdk.removeEmailOtp({ client: server.client, headers: bearer(sudo) })).error).toEqual(conflict('EMAIL_OTP_ALREADY_INACTIVE'));

    const enabled = await userWithEmailOtp(server);
    const enabledSudo = await mintToken(server, enabled.user.id, 'sudo');
    expect((await sdk.removeEmailOtp({ client: server.client, headers: bearer(enabledSudo) })).response.status).toBe(200);
    expect((await sdk.removeEmailOtp({ client: server.client, headers: bearer(enabledSudo) })).error).toEqual(conflict('EMAIL_OTP_ALREADY_INACTIVE'));
  });
});
