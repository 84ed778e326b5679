import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import * as sdk from '../../generated/sdk.gen.js';
import { bearer, startTestServer, type TestServer } from '../support/server.js';
import { loginPartial, loginTokens } from '../support/two-factor.js';
import { PASSKEY_TEST_PAGE } from '../support/passkey-page.js';

/**
 * Passkeys in a real browser: Chromium's DevTools virtual authenticator (CTAP2, internal,
 * resident keys, user verification) makes the credentials, the service verifies them with
 * @simplewebauthn. The page is served by the test server itself, before the API, so it has the
 * service's own origin: PUBLIC_URL is http://localhost:<port> (a secure context, and `localhost`
 * a valid RP ID, which 127.0.0.1 is not), and no CORS is needed.
 */
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--host-resolver-rules=MAP localhost 127.0.0.1',
];
const PAGE_PATH = '/passkey-test.html';

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

// Locally a missing browser skips; CI (.ci/run exports CI=true) installs it, so there it fails.
const browserMissing = !existsSync(CHROMIUM) && process.env.CI !== 'true';
describe.skipIf(browserMissing)(`passkeys in Chromium${browserMissing ? ` (skipped: ${CHROMIUM} is missing; apt-get install -y chromium)` : ''}`, () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let origin: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`CI=true but ${CHROMIUM} is missing: apt-get install -y chromium`);
    const port = await freePort();
    origin = `http://localhost:${port}`;
    const pageRoutes = express.Router().get(PAGE_PATH, (_req, res) => void res.type('html').send(PASSKEY_TEST_PAGE));
    server = await startTestServer({ port, publicUrl: origin }, { pageRoutes });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    expect((await page.goto(origin + PAGE_PATH))?.status()).toBe(200);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('registers a passkey, signs in with it without a password, and uses it as the second factor of a password login', async () => {
    const user = await server.createUser();
    const { accessToken } = await loginTokens(server, user);

    const enable = await page.evaluate(([token]) => (window as any).registerPasskey(token, 'Chromium'), [accessToken]);
    expect(enable.status).toBe(200);
    expect(enable.body.recoveryCodes).toHaveLength(10);
    const [credential] = (await sdk.listWebauthnCredentials({ client: server.client, headers: bearer(accessToken) })).data!;
    expect(credential).toMatchObject({ name: 'Chromium', transports: ['internal'] });

    // Passwordless: the virtual authenticator offers its resident passkey, user verified.
    const signIn = await page.evaluate(() => (window as any).signInWithPasskey());
    expect(signIn.status).toBe(200);
    expect((await sdk.validateRefreshToken({ client: server.client, headers: bearer(signIn.body.refreshToken) })).data).toEqual({ userId: user.id });

    // Password first, then the passkey as the second factor.
    const { partialToken, methods } = await loginPartial(server, user);
    expect(methods).toEqual(['webauthn', 'recoveryCode']);
    const second = await page.evaluate(([token]) => (window as any).passkeySecondFactor(token), [partialToken]);
    expect(second.status).toBe(200);
    expect((await sdk.validateAccessToken({ client: server.client, headers: bearer(second.body.sudoToken) })).data).toEqual({ userId: user.id });
    const [used] = (await sdk.listWebauthnCredentials({ client: server.client, headers: bearer(accessToken) })).data!;
    expect(used!.lastUsedAt).not.toBeNull();
  }, 60_000);
});
