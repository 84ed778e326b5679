import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * A browser app on another origin, for real: Chromium loads a page from a second loopback
 * origin (allowed through CORS_ORIGINS) that logs in with cookie=true, gets an access token with
 * the cookie alone and logs out, once with plain fetch and once with the generated SDK; the same
 * page from a third origin, not allowed, is blocked by the browser. Screenshots in .data/.
 */
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const SCREENSHOTS = { allowed: '.data/browser-cookie-mode.png', sdk: '.data/browser-cookie-mode-sdk.png', blocked: '.data/browser-origin-blocked.png' };

/** The app's page: each step's outcome is written into the page (for the screenshot) and returned. */
const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>Browser app</title>
<style>body{font:14px system-ui;margin:2em}li{margin:.3em 0}code{background:#eee;padding:0 .3em}</style></head>
<body><h1>Browser app on <code id="origin"></code></h1><ol id="steps"></ol>
<script>
document.getElementById('origin').textContent = location.origin;
function step(text) { const li = document.createElement('li'); li.textContent = text; document.getElementById('steps').append(li); }
window.fetchFlow = async (api, username, password) => {
  const result = {};
  try {
    const login = await fetch(api + '/auth/login?cookie=true', {
      method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    result.loginStatus = login.status;
    result.loginBody = await login.text();
    step('login?cookie=true → ' + login.status + ', body "' + result.loginBody + '"');
    result.cookieAfterLogin = document.cookie;
    step('document.cookie → "' + document.cookie + '"');
    const access = await fetch(api + '/auth/accesstoken', { credentials: 'include' });
    result.accessStatus = access.status;
    result.accessToken = await access.text();
    step('GET /auth/accesstoken with the cookie alone → ' + access.status + ' (' + result.accessToken.slice(0, 20) + '…)');
    const rotated = await fetch(api + '/auth/refreshtoken', { credentials: 'include' });
    result.rotateStatus = rotated.status;
    step('GET /auth/refreshtoken → ' + rotated.status);
    const logout = await fetch(api + '/auth/logout', { method: 'POST', credentials: 'include' });
    result.logoutStatus = logout.status;
    step('logout → ' + logout.status);
    const after = await fetch(api + '/auth/accesstoken', { credentials: 'include' });
    result.afterLogoutStatus = after.status;
    result.afterLogoutBody = await after.json();
    step('GET /auth/accesstoken after logout → ' + after.status + ' ' + result.afterLogoutBody.message);
    result.cookieAtEnd = document.cookie;
  } catch (error) {
    result.error = String(error);
    step('blocked: ' + error);
  }
  return result;
};
</script>
<script type="module">
import { createClient } from '/sdk.js';
import { getAccessToken, login, logout } from '/sdk.js';
window.sdkFlow = async (api, username, password) => {
  const client = createClient({ baseUrl: api, credentials: 'include' });
  const loggedIn = await login({ client, body: { username, password }, query: { cookie: true } });
  step('SDK login({ query: { cookie: true } }) → ' + loggedIn.response.status);
  const access = await getAccessToken({ client });
  step('SDK getAccessToken() → ' + access.response.status);
  const out = await logout({ client });
  step('SDK logout() → ' + out.response.status);
  const after = await getAccessToken({ client });
  step('SDK getAccessToken() after logout → ' + after.response.status + ' ' + after.error?.message);
  return { login: loggedIn.response.status, loginData: loggedIn.data, access: access.response.status, accessToken: access.data,
    logout: out.response.status, after: after.response.status, afterMessage: after.error?.message, cookie: document.cookie };
};
</script></body></html>`;

/** The generated SDK, bundled for the browser the way an app's bundler would. */
async function bundleSdk(): Promise<string> {
  const result = await build({
    stdin: { contents: "export * from './generated/index.ts'; export { createClient } from './generated/client/index.ts';", resolveDir: process.cwd(), loader: 'ts' },
    bundle: true, format: 'esm', write: false, platform: 'browser', logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

async function servePage(sdk: string): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    if (req.url === '/sdk.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(sdk);
    else res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

// Locally a missing browser skips; CI (.ci/run exports CI=true) installs it, so there it fails.
const browserMissing = !existsSync(CHROMIUM) && process.env.CI !== 'true';
describe.skipIf(browserMissing)(`a browser app on another origin${browserMissing ? ` (skipped: ${CHROMIUM} is missing)` : ''}`, () => {
  let browser: Browser;
  let api: TestServer;
  let allowed: { server: Server; origin: string };
  let foreign: { server: Server; origin: string };

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`CI=true but ${CHROMIUM} is missing: apt-get install -y chromium`);
    const sdk = await bundleSdk();
    [allowed, foreign] = await Promise.all([servePage(sdk), servePage(sdk)]);
    // PUBLIC_URL on localhost: the cookie is not Secure, so plain-http loopback can carry it.
    api = await startTestServer({ corsOrigins: [allowed.origin], publicUrl: 'http://localhost:3000' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    await mkdir('.data', { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await api?.close();
    for (const page of [allowed, foreign]) page?.server.close();
  });

  // The service itself: a Prism proxy in front (VIA_PRISM_PROXY=1) answers CORS with its own headers.
  const apiUrl = () => api.directUrl!;

  async function openApp(origin: string): Promise<{ page: Page; consoleErrors: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1000, height: 520 } });
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    // Under /auth/: a cookie of the service's host with Path=/auth would be in document.cookie here unless HttpOnly.
    await page.goto(origin + '/auth/app');
    await page.waitForFunction(() => 'sdkFlow' in window);
    return { page, consoleErrors };
  }

  const refreshTokenCount = async (userId: string) =>
    Number((await api.deps.db('refresh_tokens').where({ user_id: userId }).count({ n: '*' }).first())?.n);

  it('an allowed origin logs in with cookie=true, uses the cookie it cannot read, rotates it and logs out (fetch)', async () => {
    const user = await api.createUser();
    const { page } = await openApp(allowed.origin);
    const result = await page.evaluate(([base, u, p]) => (window as any).fetchFlow(base, u, p), [apiUrl(), user.email, user.password]);
    expect(result.error).toBeUndefined();
    expect(result).toMatchObject({ loginStatus: 204, loginBody: '', accessStatus: 200, rotateStatus: 204, logoutStatus: 204, afterLogoutStatus: 401 });
    expect(result.accessToken.split('.')).toHaveLength(3);
    expect(result.afterLogoutBody).toMatchObject({ message: 'NO_TOKEN_PROVIDED' }); // logout cleared the cookie
    // The script never sees the refresh token; the browser held it as an HttpOnly cookie.
    expect(result.cookieAfterLogin).not.toContain('sg_refresh');
    expect(result.cookieAtEnd).not.toContain('sg_refresh');
    await page.screenshot({ path: SCREENSHOTS.allowed });
    await page.close();
  });

  it('the generated SDK does the same with createClient({ credentials: "include" })', async () => {
    const user = await api.createUser();
    const { page } = await openApp(allowed.origin);
    const context = page.context();
    const result = await page.evaluate(([base, u, p]) => (window as any).sdkFlow(base, u, p), [apiUrl(), user.email, user.password]);
    expect(result).toMatchObject({ login: 204, access: 200, logout: 204, after: 401, afterMessage: 'NO_TOKEN_PROVIDED' });
    expect(result.loginData ?? {}).toEqual({}); // the 204: no token in what the app gets
    expect(result.cookie).not.toContain('sg_refresh');
    // After logout the browser holds no refresh cookie for the service.
    expect((await context.cookies(apiUrl())).filter((c) => c.name === 'sg_refresh')).toEqual([]);
    await page.screenshot({ path: SCREENSHOTS.sdk });
    await page.close();
  });

  it('while logged in, the browser holds the token as an HttpOnly, SameSite=Strict cookie on /auth', async () => {
    const user = await api.createUser();
    const { page } = await openApp(allowed.origin);
    const status = await page.evaluate(async ([base, u, p]) => {
      const response = await fetch(base + '/auth/login?cookie=true', { method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: u, password: p }) });
      return response.status;
    }, [apiUrl(), user.email, user.password]);
    expect(status).toBe(204);
    const cookies = (await page.context().cookies(apiUrl() + '/auth/accesstoken')).filter((c) => c.name === 'sg_refresh');
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/auth', secure: false });
    expect(await page.evaluate(() => document.cookie)).not.toContain('sg_refresh');
    expect(await refreshTokenCount(user.id)).toBe(1);
    await page.close();
  });

  it('a page on an origin that is not allowed is blocked by the browser, and its login never reaches the service', async () => {
    const user = await api.createUser();
    const { page, consoleErrors } = await openApp(foreign.origin);
    const result = await page.evaluate(([base, u, p]) => (window as any).fetchFlow(base, u, p), [apiUrl(), user.email, user.password]);
    expect(result.error).toMatch(/TypeError: Failed to fetch/);
    expect(result.loginStatus).toBeUndefined();
    expect(consoleErrors.join('\n')).toMatch(/blocked by CORS policy/);
    // The preflight was refused, so the POST itself was never sent: no login happened.
    expect(await refreshTokenCount(user.id)).toBe(0);
    await page.screenshot({ path: SCREENSHOTS.blocked });
    await page.close();
  });
});
