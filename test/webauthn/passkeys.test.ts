import type { TokenSet } from '../../generated/types.gen.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { bearer, startTestServer, type TestServer } from '../support/server.js';
import { loginPartial, loginTokens } from '../support/two-factor.js';
import { passkeyChallenge, registerPasskey, TEST_ORIGIN, userWithPasskey } from '../support/passkeys.js';
import { SoftAuthenticator } from '../support/webauthn.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const client = () => server.client;

describe('passkey registration', () => {
  it('setup returns creation options for this relying party; enable stores the passkey and returns 10 recovery codes', async () => {
    const user = await server.createUser();
    const { accessToken } = await loginTokens(server, user);
    const setup = await sdk.initiateWebauthn({ client: client(), headers: bearer(accessToken), body: {} });
    expect(setup.response.status).toBe(200);
    const options = setup.data!.options;
    expect(options.rp).toEqual({ name: 'SmartgridOne', id: 'auth.test' });
    expect(options.user.name).toBe(user.email);
    expect(options.attestation).toBe('none');
    expect(options.excludeCredentials).toEqual([]);
    const authenticator = new SoftAuthenticator(TEST_ORIGIN);
    const enable = await sdk.completeWebauthn({ client: client(), headers: bearer(accessToken), body: { credential: authenticator.register(options), name: 'Work laptop' } });
    expect(enable.response.status).toBe(200);
    expect(enable.data!.recoveryCodes).toHaveLength(10);

    const list = await sdk.listWebauthnCredentials({ client: client(), headers: bearer(accessToken) });
    expect(list.response.status).toBe(200);
    expect(list.data).toEqual([{ id: expect.any(String), name: 'Work laptop', createdAt: expect.any(String), lastUsedAt: null, backedUp: false, transports: ['internal'] }]);
    const status = await sdk.getTwoFa({ client: client(), headers: bearer(accessToken) });
    expect(status.data).toMatchObject({ enabled: true, webauthn: { completedAt: list.data![0]!.createdAt, credentials: 1 }, recoveryCodes: { remaining: 10 } });
  });

  it('a second passkey returns [] and keeps the codes; setup then lists the first one in excludeCredentials', async () => {
    const { accessToken, authenticator } = await userWithPasskey(server);
    const { sudoToken } = (await sdk.verifyWebauthn({ client: client(), headers: bearer(accessToken), body: { credential: authenticator.assert(await passkeyChallenge(server, accessToken)) } })).data!;
    server.clock.advance(1000); // the list is oldest first
    const setup = await sdk.initiateWebauthn({ client: client(), headers: bearer(sudoToken), body: {} });
    expect(setup.data!.options.excludeCredentials!.map((c) => c.id)).toEqual([authenticator.credentials[0]!.id.toString('base64url')]);
    const second = await sdk.completeWebauthn({ client: client(), headers: bearer(sudoToken), body: { credential: new SoftAuthenticator(TEST_ORIGIN).register(setup.data!.options) } });
    expect(second.response.status).toBe(200);
    expect(second.data!.recoveryCodes).toEqual([]);
    const list = await sdk.listWebauthnCredentials({ client: client(), headers: bearer(accessToken) });
    expect(list.data!.map((c) => c.name)).toEqual(['Laptop', 'Passkey']);
  });

  it('enable without a live registration challenge is 409; a response for a used challenge is 401', async () => {
    const user = await server.createUser();
    const { accessToken } = await loginTokens(server, user);
    const authenticator = new SoftAuthenticator(TEST_ORIGIN);
    const fake = authenticator.register({ rp: { name: 'x', id: 'auth.test' }, user: { id: 'AAAA', name: 'x', displayName: 'x' }, challenge: 'bm9uZQ', pubKeyCredParams: [] });
    const none = await sdk.completeWebauthn({ client: client(), headers: bearer(accessToken), body: { credential: fake } });
    expect(none.response.status).toBe(409);
    expect(none.error).toEqual({ statusCode: 409, error: 'Conflict', message: 'WEBAUTHN_UNINITIALIZED' });

    const setup = await sdk.initiateWebauthn({ client: client(), headers: bearer(accessToken), body: {} });
    const credential = authenticator.register(setup.data!.options);
    // Another live challenge exists, so the replay gets past the 409 and meets the used challenge.
    await sdk.initiateWebauthn({ client: client(), headers: bearer(accessToken), body: {} });
    expect((await sdk.completeWebauthn({ client: client(), headers: bearer(accessToken), body: { credential } })).response.status).toBe(200);
    const setupAgain = await sdk.initiateWebauthn({ client: client(), headers: bearer(accessToken), body: {} });
    expect(setupAgain.response.status).toBe(401); // 2FA is on now: an access token is not enough
    const replay = await sdk.completeWebauthn({ client: client(), headers: bearer(accessToken), body: { credential } });
    expect(replay.response.status).toBe(401);
    expect(replay.error).toMatchObject({ message: 'WEBAUTHN_INVALID' });
  });

  it('refuses a registration from another origin or for another RP ID (401), and stores nothing', async () => {
    const user = await server.createUser();
    const { accessToken } = await loginTokens(server, user);
    const authenticator = new SoftAuthenticator(TEST_ORIGIN);
    const wrongOrigin = await registerPasskey(server, accessToken, authenticator, { origin: 'https://auth.test.evil.example' });
    expect(wrongOrigin.response.status).toBe(401);
    expect(wrongOrigin.error).toMatchObject({ message: 'WEBAUTHN_INVALID' });
    const wrongRp = await registerPasskey(server, accessToken, authenticator, { rpId: 'evil.example' });
    expect(wrongRp.response.status).toBe(401);
    const list = await sdk.listWebauthnCredentials({ client: client(), headers: bearer(accessToken) });
    expect(list.data).toEqual([]);
    expect((await sdk.getTwoFa({ client: client(), headers: bearer(accessToken) })).data).toMatchObject({ enabled: false, webauthn: null });
  });

  it('accepts a brand origin from the mail configurations', async () => {
    const user = await server.createUser();
    const { accessToken } = await loginTokens(server, user);
    const enable = await registerPasskey(server, accessToken, new SoftAuthenticator('https://app.gridwise.eu'));
    expect(enable.response.status).toBe(200);
  });

  it('answers 400 to a malformed body and 401 without a token', async () => {
    const user = await server.createUser();
    const { accessToken } = await loginTokens(server, user);
    const bad = await sdk.initiateWebauthn({ client: client(), headers: bearer(accessToken), body: { extra: 1 } as never });
    expect(bad.response.status).toBe(400);
    const badEnable = await sdk.completeWebauthn({ client: client(), headers: bearer(accessToken), body: { credential: { id: 'x' } } as never });
    expect(badEnable.response.status).toBe(400);
    const wellFormed = new SoftAuthenticator(TEST_ORIGIN).register({ rp: { name: 'x', id: 'auth.test' }, user: { id: 'AAAA', name: 'x', displayName: 'x' }, challenge: 'eA', pubKeyCredParams: [] });
    expect((await sdk.completeWebauthn({ client: client(), body: { credential: wellFormed } })).response.status).toBe(401);
    expect((await sdk.initiateWebauthn({ client: client(), body: {} })).response.status).toBe(401);
    expect((await sdk.listWebauthnCredentials({ client: client() })).response.status).toBe(401);
  });
});

describe('a passkey as the second factor', () => {
  it('login asks for webauthn; the passkey check with the partial token earns the three tokens', async () => {
    const { user, authenticator } = await userWithPasskey(server);
    const { partialToken, methods } = await loginPartial(server, user);
    expect(methods).toEqual(['webauthn', 'recoveryCode']);
    const options = await passkeyChallenge(server, partialToken);
    expect(options.rpId).toBe('auth.test');
    expect(options.allowCredentials!.map((c) => c.id)).toEqual([authenticator.credentials[0]!.id.toString('base64url')]);
    const auth = await sdk.verifyWebauthn({ client: client(), headers: bearer(partialToken), body: { credential: authenticator.assert(options) } });
    expect(auth.response.status).toBe(200);
    const validate = await sdk.validateRefreshToken({ client: client(), headers: bearer((auth.data as TokenSet).refreshToken) });
    expect(validate.data).toEqual({ userId: user.id });
    const [credential] = (await sdk.listWebauthnCredentials({ client: client(), headers: bearer(auth.data!.accessToken) })).data!;
    expect(credential!.lastUsedAt).not.toBeNull();
  });

  it('step-up with an access token gives a sudo token that removes the passkey; the last one turns 2FA off', async () => {
    const { user, accessToken, authenticator } = await userWithPasskey(server);
    const [credential] = (await sdk.listWebauthnCredentials({ client: client(), headers: bearer(accessToken) })).data!;
    const noSudo = await sdk.removeWebauthnCredential({ client: client(), headers: bearer(accessToken), path: { id: credential!.id } });
    expect(noSudo.response.status).toBe(401);
    expect(noSudo.error).toMatchObject({ message: 'SUDO_TOKEN_REQUIRED' });
    const { sudoToken } = (await sdk.verifyWebauthn({ client: client(), headers: bearer(accessToken), body: { credential: authenticator.assert(await passkeyChallenge(server, accessToken)) } })).data!;
    const unknown = await sdk.removeWebauthnCredential({ client: client(), headers: bearer(sudoToken), path: { id: '00000000-0000-4000-8000-000000000000' } });
    expect(unknown.response.status).toBe(404);
    expect(unknown.error).toEqual({ statusCode: 404, error: 'Not Found', message: 'WEBAUTHN_CREDENTIAL_NOT_FOUND' });
    const notUuid = await sdk.removeWebauthnCredential({ client: client(), headers: bearer(sudoToken), path: { id: 'not-a-uuid' } });
    expect(notUuid.response.status).toBe(400);
    const removed = await sdk.removeWebauthnCredential({ client: client(), headers: bearer(sudoToken), path: { id: credential!.id } });
    expect(removed.response.status).toBe(200);
    expect(removed.data).toBeNull();
    expect((await sdk.getTwoFa({ client: client(), headers: bearer(accessToken) })).data).toEqual({ enabled: false, emailOtp: null, totp: null, webauthn: null, recoveryCodes: null });
    expect((await sdk.login({ client: client(), body: { username: user.email, password: user.password } })).response.status).toBe(200);
    // No passkey any more: the check has nothing to ask for.
    const challenge = await sdk.initiateWebauthnAuthentication({ client: client(), headers: bearer(accessToken), body: {} });
    expect(challenge.response.status).toBe(409);
    expect(challenge.error).toMatchObject({ message: 'WEBAUTHN_UNINITIALIZED' });
    const verify = await sdk.verifyWebauthn({ client: client(), headers: bearer(accessToken), body: { credential: authenticator.assert({ challenge: 'eA', rpId: 'auth.test' }) } });
    expect(verify.response.status).toBe(409);
    // Adding and removing the passkey are security events the owner sees (and is mailed about).
    const events = await server.deps.db('security_events').where({ user_id: user.id }).whereIn('type', ['method_enabled', 'method_removed']).orderBy('id').select('type', 'detail');
    expect(events).toEqual([
      { type: 'method_enabled', detail: { method: 'webauthn' } },
      { type: 'method_removed', detail: { method: 'webauthn' } },
    ]);
  });

  it('removing one of two passkeys keeps 2FA on and the recovery codes', async () => {
    const { accessToken, authenticator } = await userWithPasskey(server);
    const { sudoToken } = (await sdk.verifyWebauthn({ client: client(), headers: bearer(accessToken), body: { credential: authenticator.assert(await passkeyChallenge(server, accessToken)) } })).data!;
    expect((await registerPasskey(server, sudoToken, new SoftAuthenticator(TEST_ORIGIN))).response.status).toBe(200);
    const [first] = (await sdk.listWebauthnCredentials({ client: client(), headers: bearer(accessToken) })).data!;
    expect((await sdk.removeWebauthnCredential({ client: client(), headers: bearer(sudoToken), path: { id: first!.id } })).response.status).toBe(200);
    expect((await sdk.getTwoFa({ client: client(), headers: bearer(accessToken) })).data).toMatchObject({ enabled: true, webauthn: { credentials: 1 }, recoveryCodes: { remaining: 10 } });
  });

  it('answers 400 to a malformed check body and 401 without a token', async () => {
    const { accessToken } = await userWithPasskey(server);
    expect((await sdk.initiateWebauthnAuthentication({ client: client(), headers: bearer(accessToken), body: { x: 1 } as never })).response.status).toBe(400);
    expect((await sdk.initiateWebauthnAuthentication({ client: client(), body: {} })).response.status).toBe(401);
    expect((await sdk.verifyWebauthn({ client: client(), headers: bearer(accessToken), body: {} as never })).response.status).toBe(400);
    expect((await sdk.removeWebauthnCredential({ client: client(), path: { id: '00000000-0000-4000-8000-000000000000' } })).response.status).toBe(401);
  });
});
