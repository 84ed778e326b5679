import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode } from './support/totp.js';
import { userWithTotp } from './support/two-factor.js';
import { startTestServer, type TestServer } from './support/server.js';

/**
 * The README's "Using the SDK" example, run against the real service. The code between the
 * #region markers is the README snippet, character for character, except that the README imports
 * the package by name (`@smartgridone/auth-client`) where this file imports ../generated/.
 */

// #region sdk-example
import { createClient } from '../generated/client/index.js';
import { getAccessToken, login, resetRecoveryCodes, verifyTotp } from '../generated/index.js';

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Logs in. When the account has 2FA on (401 2FA_REQUIRED), finishes the login with a TOTP code
 * from the user's authenticator app, which also yields a sudo token (5 minutes).
 */
export async function signIn(baseUrl: string, email: string, password: string, askForTotp: () => Promise<string>) {
  const client = createClient({ baseUrl });
  const loggedIn = await login({ client, body: { username: email, password } });
  if (!loggedIn.error) {
    // No 2FA: the body is the refresh token (text/plain); trade it for an access token.
    // (Cookie mode, `query: { cookie: true }`, answers 204 instead: see "Calling from a browser".)
    const refreshToken = loggedIn.data;
    if (typeof refreshToken !== 'string') throw new Error('expected the refresh token in the body');
    const access = await getAccessToken({ client, headers: bearer(refreshToken) });
    if (access.error) throw new Error(access.error.message);
    return { client, refreshToken, accessToken: access.data, sudoToken: undefined };
  }
  // PASSWORD_INCORRECT, TOO_MANY_FAILED_PASSWORD_CHECKS (429, retryAfter), NO_PASSWORD_INFO…
  if (!('partialToken' in loggedIn.error)) throw new Error(loggedIn.error.message);
  // 2FA_REQUIRED: the password was right; `methods` lists what can finish the login.
  const { partialToken, methods } = loggedIn.error;
  if (!methods.includes('totp')) throw new Error(`this example only does TOTP, not ${methods.join(', ')}`);
  for (let attempt = 1; attempt <= 3; attempt++) {
    const checked = await verifyTotp({ client, headers: bearer(partialToken), body: { totp: await askForTotp() } });
    if (!checked.error) {
      // Outside cookie mode the body has all three tokens; in cookie mode refreshToken is a cookie.
      if (!('refreshToken' in checked.data)) throw new Error('expected the refresh token in the body');
      return { client, ...checked.data }; // accessToken, refreshToken, sudoToken
    }
    const error = checked.error;
    if (error.statusCode === 429) await sleep(error.retryAfter * 1000); // TOO_MANY_TOTP_CHECKS: wait, then ask again
    else if (error.message !== 'TOTP_INVALID') throw new Error(error.message); // not a typo: give up
  }
  throw new Error('too many wrong codes');
}

/** The whole flow: sign in with 2FA, use the sudo token, later renew the access token. */
export async function example(baseUrl: string, email: string, password: string, askForTotp: () => Promise<string>) {
  const session = await signIn(baseUrl, email, password, askForTotp);
  if (!session.sudoToken) throw new Error('expected an account with 2FA on');

  // A sudo endpoint: new recovery codes (the old ones stop working). An access token gets 401 SUDO_TOKEN_REQUIRED.
  const reset = await resetRecoveryCodes({ client: session.client, headers: bearer(session.sudoToken), body: {} });
  if (reset.error) throw new Error(reset.error.message);

  // Access tokens live 5 minutes; the refresh token (14 days) gets a new one whenever needed.
  const renewed = await getAccessToken({ client: session.client, headers: bearer(session.refreshToken) });
  if (renewed.error) throw new Error(renewed.error.message); // 401 INVALID_TOKEN: log in again
  return { recoveryCodes: reset.data.recoveryCodes, accessToken: renewed.data };
}
// #endregion sdk-example

const README_IMPORTS: Record<string, string> = {
  '../generated/client/index.js': '@smartgridone/auth-client/client',
  '../generated/index.js': '@smartgridone/auth-client',
};

/** The code between the markers, with this file's import paths replaced by the package's. */
function snippetOfThisFile(): string {
  const source = readFileSync(new URL(import.meta.url), 'utf8');
  const region = /\/\/ #region sdk-example\n([\s\S]*?)\/\/ #endregion sdk-example/.exec(source)![1]!;
  return Object.entries(README_IMPORTS).reduce((text, [from, to]) => text.replaceAll(`'${from}'`, `'${to}'`), region);
}

function snippetOfReadme(): string {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const block = /<!-- sdk-example: test\/sdk-example\.test\.ts -->\n```ts\n([\s\S]*?)```/.exec(readme);
  if (!block) throw new Error('README.md lacks the sdk-example block (<!-- sdk-example: test/sdk-example.test.ts --> then ```ts)');
  return block[1]!;
}

describe('README "Using the SDK"', () => {
  it('shows exactly the code this test runs', () => {
    expect(snippetOfReadme()).toBe(snippetOfThisFile());
  });

  describe('against the real service', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer();
    });
    afterAll(() => server.close());

    it('logs in through 2FA_REQUIRED with TOTP, calls a sudo endpoint and renews the access token', async () => {
      const { user, url, recoveryCodes } = await userWithTotp(server);
      // The authenticator app: the code of the moment (the test server's clock is moved by hand).
      const askForTotp = async () => totpCode(url, server.clock.now());
      const result = await example(server.baseUrl, user.email, user.password, askForTotp);
      expect(result.recoveryCodes).toHaveLength(10);
      expect(result.recoveryCodes).not.toEqual(recoveryCodes);
      expect(result.accessToken.split('.')).toHaveLength(3);
    });

    it('without 2FA, signIn returns tokens and no sudo token', async () => {
      const user = await server.createUser();
      const session = await signIn(server.baseUrl, user.email, user.password, async () => {
        throw new Error('no code should be asked for');
      });
      expect(session.sudoToken).toBeUndefined();
      expect(session.accessToken.split('.')).toHaveLength(3);
    });
  });
});
