import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { REFRESH_TOKEN_TTL_MS } from '../../src/tokens/constants.js';
import { clearedRefreshCookie, readRefreshCookie, refreshCookie } from '../../src/tokens/refresh-cookie.js';
import { userWithEmailOtp, challengeCode } from '../email-otp/support.js';
import { startMailTestServer, type MailTestServer } from '../support/server-with-smtp.js';
import { bearer } from '../support/server.js';
import { loginPartial, userWithTotp } from '../support/two-factor.js';
import { totpCode } from '../support/totp.js';

const APP = 'http://app.test:8080'; // allowed through CORS_ORIGINS
const FOREIGN = 'https://evil.example';
const MAX_AGE = REFRESH_TOKEN_TTL_MS / 1000;

let server: MailTestServer;
beforeAll(async () => {
  // PUBLIC_URL http://auth.test: not localhost, so the cookie is Secure.
  server = await startMailTestServer({ corsOrigins: [APP] });
});
afterAll(() => server.close());

/** A request as a browser page on `origin` sends it with `credentials: 'include'`. */
function browserFetch(path: string, options: { method?: string; cookie?: string; origin?: string | null; body?: unknown; authorization?: string } = {}) {
  const headers: Record<string, string> = {};
  if (options.origin !== null) headers.Origin = options.origin ?? APP;
  if (options.cookie) headers.Cookie = `theme=dark; sg_refresh=${options.cookie}`;
  if (options.authorization) headers.Authorization = options.authorization;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  return fetch(server.baseUrl + path, { method: options.method ?? 'GET', headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
}

/** The refresh token a Set-Cookie hands over, after checking every attribute the contract names. */
function cookieTokenOf(response: Response): string {
  const cookies = response.headers.getSetCookie();
  expect(cookies).toHaveLength(1);
  const match = /^sg_refresh=([A-Za-z0-9_-]{43}); Max-Age=(\d+); Path=\/auth; HttpOnly; SameSite=Strict; Secure$/.exec(cookies[0]!);
  expect(match, cookies[0]).not.toBeNull();
  expect(Number(match![2])).toBe(MAX_AGE);
  return match![1]!;
}

async function cookieLogin(user: { email: string; password: string }): Promise<string> {
  const response = await browserFetch('/auth/login?cookie=true', { method: 'POST', body: { username: user.email, password: user.password } });
  expect(response.status).toBe(204);
  expect(await response.text()).toBe('');
  return cookieTokenOf(response);
}

describe('cookie mode: login and the second factors', () => {
  it('login?cookie=true answers 204 with the token only in an HttpOnly, Secure, SameSite=Strict cookie on /auth', async () => {
    const user = await server.createUser();
    const token = await cookieLogin(user);
    // It is a working refresh token (here through the bearer path).
    const validated = await sdk.validateRefreshToken({ client: server.client, headers: bearer(token) });
    expect(validated.data).toEqual({ userId: user.id });
  });

  it('without cookie=true login is unchanged: the token in the body, no Set-Cookie', async () => {
    const user = await server.createUser();
    const response = await browserFetch('/auth/login', { method: 'POST', body: { username: user.email, password: user.password } });
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it('a 2FA login in cookie mode (TOTP, recovery code, email OTP) answers {accessToken, sudoToken} and sets the cookie', async () => {
    const totpUser = await userWithTotp(server);
    const emailOtpUser = await userWithEmailOtp(server);
    const passes: [string, string, () => Promise<unknown>][] = [
      ['/user/2fa/totp/authenticate', (await loginPartial(server, totpUser.user)).partialToken, async () => ({ totp: totpCode(totpUser.url, server.clock.now()) })],
      ['/user/2fa/recovery-code/authenticate', (await loginPartial(server, totpUser.user)).partialToken, async () => ({ recoveryCode: totpUser.recoveryCodes[0] })],
    ];
    const emailPartial = (await loginPartial(server, emailOtpUser.user)).partialToken;
    passes.push(['/user/2fa/email-otp/authenticate', emailPartial, async () => ({ otp: await challengeCode(server, emailPartial, emailOtpUser.address) })]);

    for (const [path, partialToken, body] of passes) {
      const response = await browserFetch(`${path}?cookie=true`, { method: 'POST', authorization: `Bearer ${partialToken}`, body: await body() });
      expect(response.status, path).toBe(200);
      const text = await response.text();
      const token = cookieTokenOf(response);
      expect(Object.keys(JSON.parse(text)).sort()).toEqual(['accessToken', 'sudoToken']);
      expect(text).not.toContain(token);
      // The cookie is the session's refresh token.
      const access = await browserFetch('/auth/accesstoken', { cookie: token });
      expect(access.status, path).toBe(200);
    }
  });
});

describe('the refresh cookie on the refresh-token operations', () => {
  it('is accepted with an allowed Origin by getAccessToken and validateRefreshToken', async () => {
    const user = await server.createUser();
    const token = await cookieLogin(user);
    const access = await browserFetch('/auth/accesstoken', { cookie: token });
    expect(access.status).toBe(200);
    expect((await access.text()).split('.')).toHaveLength(3);
    const validated = await browserFetch('/auth/refreshtoken/validate', { cookie: token });
    expect(await validated.json()).toEqual({ userId: user.id });
  });

  it.each([
    ['GET', '/auth/accesstoken'],
    ['GET', '/auth/refreshtoken'],
    ['POST', '/auth/logout'],
    ['GET', '/auth/refreshtoken/validate'],
  ])('%s %s: without an Origin, or with one not allowed, 403 ORIGIN_NOT_ALLOWED and nothing done', async (method, path) => {
    const token = await cookieLogin(await server.createUser());
    for (const origin of [null, FOREIGN, 'null']) {
      const response = await browserFetch(path, { method, cookie: token, origin });
      expect(response.status).toBe(403);
      expect(await response.json()).toEqual({ statusCode: 403, error: 'Forbidden', message: 'ORIGIN_NOT_ALLOWED' });
      expect(response.headers.getSetCookie()).toEqual([]);
    }
    // Neither the rotation nor the logout happened.
    expect((await browserFetch('/auth/accesstoken', { cookie: token })).status).toBe(200);
  });

  it('an Authorization header wins over the cookie (no Origin needed); an empty bearer is not replaced by the cookie', async () => {
    const user = await server.createUser();
    const cookieToken = await cookieLogin(user);
    const bearerToken = await cookieLogin(user);
    const viaBearer = await browserFetch('/auth/refreshtoken/validate', { cookie: cookieToken, origin: null, authorization: `Bearer ${bearerToken}` });
    expect(viaBearer.status).toBe(200);
    const empty = await browserFetch('/auth/refreshtoken/validate', { cookie: cookieToken, authorization: 'Bearer' });
    expect(empty.status).toBe(401);
    expect(await empty.json()).toMatchObject({ message: 'NO_TOKEN_PROVIDED' });
  });

  it('a revoked token in the cookie is 401 INVALID_TOKEN; no token at all is 401 NO_TOKEN_PROVIDED', async () => {
    const none = await browserFetch('/auth/accesstoken');
    expect(await none.json()).toMatchObject({ statusCode: 401, message: 'NO_TOKEN_PROVIDED' });
    const forged = await browserFetch('/auth/accesstoken', { cookie: 'A'.repeat(43) });
    expect(await forged.json()).toMatchObject({ statusCode: 401, message: 'INVALID_TOKEN' });
  });

  it('rotation through the cookie: 204 with a new cookie (also without cookie=true), the old token is revoked', async () => {
    const user = await server.createUser();
    const first = await cookieLogin(user);
    const rotated = await browserFetch('/auth/refreshtoken', { cookie: first });
    expect(rotated.status).toBe(204);
    expect(await rotated.text()).toBe('');
    const second = cookieTokenOf(rotated);
    expect(second).not.toBe(first);
    expect((await browserFetch('/auth/accesstoken', { cookie: first })).status).toBe(401);
    expect((await browserFetch('/auth/accesstoken', { cookie: second })).status).toBe(200);
    // A bearer caller opts in with cookie=true.
    const byBearer = await fetch(`${server.baseUrl}/auth/refreshtoken?cookie=true`, { headers: bearer(second) });
    expect(byBearer.status).toBe(204);
    cookieTokenOf(byBearer);
  });

  it('logout through the cookie answers 204, clears the cookie and revokes its token', async () => {
    const token = await cookieLogin(await server.createUser());
    const loggedOut = await browserFetch('/auth/logout', { method: 'POST', cookie: token });
    expect(loggedOut.status).toBe(204);
    expect(loggedOut.headers.getSetCookie()).toEqual(['sg_refresh=; Max-Age=0; Path=/auth; HttpOnly; SameSite=Strict; Secure']);
    expect((await browserFetch('/auth/accesstoken', { cookie: token })).status).toBe(401);
    // A bearer logout leaves whatever cookie the client has alone.
    const other = await cookieLogin(await server.createUser());
    const bearerLogout = await fetch(`${server.baseUrl}/auth/logout`, { method: 'POST', headers: bearer(other) });
    expect(bearerLogout.status).toBe(204);
    expect(bearerLogout.headers.getSetCookie()).toEqual([]);
  });

  it('a password change revokes the cookie token like any other', async () => {
    const user = await server.createUser();
    const token = await cookieLogin(user);
    const access = await (await browserFetch('/auth/accesstoken', { cookie: token })).text();
    const changed = await sdk.updatePasswordViaSudo({ client: server.client, headers: bearer(access), body: { oldPassword: user.password, newPassword: 'Another-Pass-77' } });
    expect(changed.response.status).toBe(200);
    const after = await browserFetch('/auth/accesstoken', { cookie: token });
    expect(after.status).toBe(401);
    expect(await after.json()).toMatchObject({ message: 'INVALID_TOKEN' });
  });
});

describe('the cookie itself', () => {
  it('is Secure except for an http://localhost PUBLIC_URL', () => {
    expect(refreshCookie({ publicUrl: 'https://auth.example.com' }, 'tok')).toBe(`sg_refresh=tok; Max-Age=${MAX_AGE}; Path=/auth; HttpOnly; SameSite=Strict; Secure`);
    expect(refreshCookie({ publicUrl: 'http://auth.internal' }, 'tok')).toMatch(/; Secure$/);
    expect(refreshCookie({ publicUrl: 'http://localhost:3000' }, 'tok')).toBe(`sg_refresh=tok; Max-Age=${MAX_AGE}; Path=/auth; HttpOnly; SameSite=Strict`);
    expect(clearedRefreshCookie({ publicUrl: 'http://localhost:3000' })).toBe('sg_refresh=; Max-Age=0; Path=/auth; HttpOnly; SameSite=Strict');
  });

  it('is read from a Cookie header among others, and only under its exact name', () => {
    expect(readRefreshCookie('a=1; sg_refresh=abc; b=2')).toBe('abc');
    expect(readRefreshCookie('xsg_refresh=abc; sg_refresh_old=def')).toBeUndefined();
    expect(readRefreshCookie('sg_refresh=')).toBeUndefined();
    expect(readRefreshCookie(undefined)).toBeUndefined();
  });
});
