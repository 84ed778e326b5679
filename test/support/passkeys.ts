import { expect } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { bearer, type TestServer } from './server.js';
import { loginTokens } from './two-factor.js';
import { SoftAuthenticator, type CeremonyOverrides } from './webauthn.js';

/** The origin the test configuration accepts (PUBLIC_URL http://auth.test). */
export const TEST_ORIGIN = 'http://auth.test';

/** Registers a passkey for the token's user: setup → authenticator → enable. Returns the enable answer. */
export async function registerPasskey(server: TestServer, token: string, authenticator: SoftAuthenticator, overrides: CeremonyOverrides = {}, name?: string) {
  const setup = await sdk.initiateWebauthn({ client: server.client, headers: bearer(token), body: {} });
  expect(setup.response.status).toBe(200);
  const credential = authenticator.register(setup.data!.options, overrides);
  return sdk.completeWebauthn({ client: server.client, headers: bearer(token), body: { credential, ...(name ? { name } : {}) } });
}

/** A user whose only 2FA method is one passkey on a fresh software authenticator. */
export async function userWithPasskey(server: TestServer, options: ConstructorParameters<typeof SoftAuthenticator>[1] = {}) {
  const user = await server.createUser();
  const { refreshToken, accessToken } = await loginTokens(server, user);
  const authenticator = new SoftAuthenticator(TEST_ORIGIN, options);
  const enable = await registerPasskey(server, accessToken, authenticator, {}, 'Laptop');
  expect(enable.response.status).toBe(200);
  return { user, refreshToken, accessToken, authenticator, recoveryCodes: enable.data!.recoveryCodes };
}

/** A passkey check's request options for the token's user. */
export async function passkeyChallenge(server: TestServer, token: string) {
  const challenge = await sdk.initiateWebauthnAuthentication({ client: server.client, headers: bearer(token), body: {} });
  expect(challenge.response.status).toBe(200);
  return challenge.data!.options;
}

/** Passwordless sign-in options. */
export async function passkeyLoginOptions(server: TestServer) {
  const options = await sdk.initiatePasskeyLogin({ client: server.client, body: {} });
  expect(options.response.status).toBe(200);
  return options.data!.options;
}
