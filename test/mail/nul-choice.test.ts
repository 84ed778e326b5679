import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { bearer } from '../support/server.js';
import { startMailTestServer, type MailTestServer } from '../support/server-with-smtp.js';
import { loginTokens } from '../support/two-factor.js';
import { codeFrom } from '../support/smtp.js';

// PostgreSQL text cannot hold NUL: an origin or language carrying one must be treated like any
// unknown origin/language (the default brand and language), never reach the database, never 500.
let server: MailTestServer;
beforeAll(async () => {
  server = await startMailTestServer();
});
afterAll(() => server.close());

let seq = 0;
const newAddress = () => `nul-${++seq}-${Date.now()}@example.com`;
const HOSTILE_QUERIES = ['origin=%00&language=%00%00', 'origin=https%3A%2F%2Fapp.gridwise.eu%00&language=d%00', 'origin=%00https%3A%2F%2Fapp.gridwise.eu&language=e%01'];
const DEFAULT_SENDER = 'no-reply@smartgridone.com';

async function post(path: string, query: string, body: unknown, token?: string, method = 'POST') {
  const response = await fetch(`${server.baseUrl}${path}?${query}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? bearer(token) : {}) },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

/** The mail went out from the default configuration, in its default language (English). */
function expectDefaultBrandAndLanguage(mail: Awaited<ReturnType<MailTestServer['smtp']['waitForMail']>>) {
  expect(mail.from?.value[0]?.address).toBe(DEFAULT_SENDER);
  // English, the default configuration's default language (not German or Dutch).
  expect(mail.subject).toMatch(/\b(your|Confirm|Reset|changed)\b/i);
  expect(mail.subject).not.toMatch(/[äöüß]|\bIhr|\buw\b|\bIhre\b/);
}

async function loggedIn() {
  const user = await server.createUser();
  return { user, accessToken: (await loginTokens(server, user)).accessToken };
}

describe.each(HOSTILE_QUERIES)('a NUL or invalid character in origin/language (%s)', (query) => {
  it('sendPasswordReset mails the code in the default brand and language', async () => {
    const { user } = await loggedIn();
    expect(await post('/user/password/reset/send', query, { email: user.email })).toEqual({ status: 200, body: null });
    expectDefaultBrandAndLanguage(await server.smtp.waitForMail(user.email));
  });

  it('postForgotPassword mails the link in the default brand and language', async () => {
    const { user } = await loggedIn();
    expect(await post('/v1/auth/forgot-password', query, { email: user.email })).toEqual({ status: 200, body: null });
    const mail = await server.smtp.waitForMail(user.email);
    expectDefaultBrandAndLanguage(mail);
    expect(mail.text).toContain('https://app.smartgridone.com/reset-password?');
  });

  it('initiateEmailOtp and initiateEmailOtpAuthentication mail their codes in the default brand and language', async () => {
    const { accessToken } = await loggedIn();
    const address = newAddress();
    expect(await post('/user/2fa/email-otp/setup', query, { email: address }, accessToken)).toEqual({ status: 200, body: null });
    const setupMail = await server.smtp.waitForMail(address);
    expectDefaultBrandAndLanguage(setupMail);
    const enable = await sdk.completeEmailOtp({ client: server.client, headers: bearer(accessToken), body: { otp: codeFrom(setupMail) } });
    expect(enable.response.status).toBe(200);
    server.clock.advance(61_000);
    expect(await post('/user/2fa/email-otp/challenge', query, {}, accessToken)).toEqual({ status: 200, body: null });
    expectDefaultBrandAndLanguage(await server.smtp.waitForMail(address));
  });

  it('initiatePutEmail mails the code, and the later notice (from the stored choice) goes out, both in the default brand and language', async () => {
    const { user, accessToken } = await loggedIn();
    const next = newAddress();
    expect(await post('/user/email/initiate', query, { email: next }, accessToken)).toEqual({ status: 200, body: null });
    const codeMail = await server.smtp.waitForMail(next);
    expectDefaultBrandAndLanguage(codeMail);
    const put = await sdk.putEmail({ client: server.client, headers: bearer(accessToken), body: { otp: codeFrom(codeMail) } });
    expect(put.response.status).toBe(200);
    expectDefaultBrandAndLanguage(await server.smtp.waitForMail(user.email));
  });
});
