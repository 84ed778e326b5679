import type { TokenSet } from '../../generated/types.gen.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { passkeyLoginOptions, TEST_ORIGIN, userWithPasskey } from '../support/passkeys.js';
import { SoftAuthenticator } from '../support/webauthn.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const passkeyLogin = (credential: Parameters<typeof sdk.passkeyLogin>[0]['body']['credential']) => sdk.passkeyLogin({ client: server.client, body: { credential } });
const invalid = { statusCode: 401, error: 'Unauthorized', message: 'WEBAUTHN_INVALID' };

describe('passwordless sign-in with a passkey', () => {
  it('options name no credentials and require user verification; a verified passkey signs in without 2FA_REQUIRED', async () => {
    const { user, authenticator } = await userWithPasskey(server);
    const options = await passkeyLoginOptions(server);
    expect(options.allowCredentials).toBeUndefined();
    expect(options.userVerification).toBe('required');
    expect(options.rpId).toBe('auth.test');
    const login = await passkeyLogin(authenticator.assert(options));
    expect(login.response.status).toBe(200);
    expect((await sdk.validateRefreshToken({ client: server.client, headers: { Authorization: `Bearer ${(login.data as TokenSet).refreshToken}` } })).data).toEqual({ userId: user.id });
    expect((await sdk.validateAccessToken({ client: server.client, headers: { Authorization: `Bearer ${login.data!.sudoToken}` } })).data).toEqual({ userId: user.id });
  });

  it('refuses a passkey without user verification', async () => {
    const { authenticator } = await userWithPasskey(server);
    const login = await passkeyLogin(authenticator.assert(await passkeyLoginOptions(server), { userVerified: false }));
    expect(login.response.status).toBe(401);
    expect(login.error).toEqual(invalid);
  });

  it('gives one answer for an unknown passkey, a wrong origin, a reused and an expired challenge, and a wrong user handle', async () => {
    const { authenticator } = await userWithPasskey(server, { counterStep: 0 });
    const stranger = new SoftAuthenticator(TEST_ORIGIN);
    stranger.register({ rp: { name: 'x', id: 'auth.test' }, user: { id: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'x', displayName: 'x' }, challenge: 'eA', pubKeyCredParams: [] });
    const unknown = await passkeyLogin(stranger.assert(await passkeyLoginOptions(server)));
    expect([unknown.response.status, unknown.error]).toEqual([401, invalid]);

    const wrongOrigin = await passkeyLogin(authenticator.assert(await passkeyLoginOptions(server), { origin: 'https://evil.example' }));
    expect([wrongOrigin.response.status, wrongOrigin.error]).toEqual([401, invalid]);

    const assertion = authenticator.assert(await passkeyLoginOptions(server));
    expect((await passkeyLogin(assertion)).response.status).toBe(200);
    const reused = await passkeyLogin(assertion);
    expect([reused.response.status, reused.error]).toEqual([401, invalid]);

    const old = await passkeyLoginOptions(server);
    server.clock.advance(5 * 60 * 1000 + 1);
    const expired = await passkeyLogin(authenticator.assert(old));
    expect([expired.response.status, expired.error]).toEqual([401, invalid]);

    const wrongHandle = authenticator.assert(await passkeyLoginOptions(server));
    wrongHandle.response.userHandle = 'AAAAAAAAAAAAAAAAAAAAAA';
    const handle = await passkeyLogin(wrongHandle);
    expect([handle.response.status, handle.error]).toEqual([401, invalid]);
  });

  it('a 2FA challenge does not open passwordless sign-in (challenges are bound to their purpose)', async () => {
    const { accessToken, authenticator } = await userWithPasskey(server);
    const challenge = await sdk.initiateWebauthnAuthentication({ client: server.client, headers: { Authorization: `Bearer ${accessToken}` }, body: {} });
    const login = await passkeyLogin(authenticator.assert(challenge.data!.options));
    expect(login.response.status).toBe(401);
  });

  it('answers 400 to malformed bodies', async () => {
    expect((await sdk.initiatePasskeyLogin({ client: server.client, body: { x: 1 } as never })).response.status).toBe(400);
    expect((await sdk.passkeyLogin({ client: server.client, body: { credential: { id: 'x' } } as never })).response.status).toBe(400);
  });
});

describe('per-address limits of passwordless sign-in', () => {
  let limited: TestServer;
  beforeAll(async () => {
    limited = await startTestServer({ addressLimits: { initiatePasskeyLogin: { limit: 1, periodSeconds: 60 }, passkeyLogin: { limit: 1, periodSeconds: 60 } } });
  });
  afterAll(() => limited.close());

  it('both endpoints answer 429 TOO_MANY_REQUESTS over their budget, before any check', async () => {
    const first = await sdk.initiatePasskeyLogin({ client: limited.client, body: {} });
    expect(first.response.status).toBe(200);
    const second = await sdk.initiatePasskeyLogin({ client: limited.client, body: {} });
    expect(second.response.status).toBe(429);
    expect(second.error).toEqual({ statusCode: 429, error: 'Too many requests', message: 'TOO_MANY_REQUESTS', retryAfter: 60 });
    expect(second.response.headers.get('retry-after')).toBe('60');
    const credential = new SoftAuthenticator(TEST_ORIGIN);
    credential.register({ rp: { name: 'x', id: 'auth.test' }, user: { id: 'AAAA', name: 'x', displayName: 'x' }, challenge: 'eA', pubKeyCredParams: [] });
    const assertion = credential.assert(first.data!.options);
    expect((await sdk.passkeyLogin({ client: limited.client, body: { credential: assertion } })).response.status).toBe(401);
    const over = await sdk.passkeyLogin({ client: limited.client, body: { credential: assertion } });
    expect(over.response.status).toBe(429);
    expect(over.error).toMatchObject({ message: 'TOO_MANY_REQUESTS' });
  });
});
