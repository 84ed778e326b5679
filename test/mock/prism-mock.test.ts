import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { createClient, type Client } from '../../generated/client/index.js';
import * as sdk from '../../generated/sdk.gen.js';
import type { TooManyTotpChecksError } from '../../generated/types.gen.js';
import { startPrism, type PrismProcess } from '../support/prism.js';

/**
 * What a frontend team gets from `npm run mock`: Prism serving openapi.yaml, called here through
 * the generated SDK exactly as an app would call the real service.
 */
let prism: PrismProcess;
let client: Client;
const auth = { Authorization: 'Bearer any-token-will-do' };

beforeAll(async () => {
  prism = await startPrism('mock');
  client = createClient({ baseUrl: prism.url });
}, 90_000);
afterAll(() => prism?.stop());

describe('npm run mock (Prism)', () => {
  it('answers a JSON operation with the spec example', async () => {
    const { data, response } = await sdk.getTwoFa({ client, headers: auth });
    expect(response.status).toBe(200);
    expect(data).toEqual({
      enabled: true,
      emailOtp: { email: 'jane@example.com', completedAt: '2025-03-14T09:26:53Z' },
      totp: { completedAt: null },
      webauthn: { completedAt: '2025-03-15T10:02:11Z', credentials: 2 },
      recoveryCodes: { completedAt: '2025-03-14T09:26:53Z', remaining: 9 },
    });
  });

  it('answers login with a text/plain token', async () => {
    const { data, response } = await sdk.login({ client, body: { username: 'jane@example.com', password: 'Correct-Horse-9' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(typeof data).toBe('string');
  });

  it('answers "success without content" with the JSON body null', async () => {
    const { data, error, response } = await sdk.removeTotp({ client, headers: auth });
    expect(response.status).toBe(200);
    expect(error).toBeUndefined();
    expect(data).toBeNull();
  });

  it('picks a documented error with `Prefer: code=…`, typed by the SDK (retryAfter without a cast)', async () => {
    const { error, response } = await sdk.verifyTotp({ client, headers: { ...auth, Prefer: 'code=429' }, body: { totp: '123456' } });
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('8');
    if (!error || error.statusCode !== 429) throw new Error(`expected a 429 body, got ${JSON.stringify(error)}`);
    expectTypeOf(error).toEqualTypeOf<TooManyTotpChecksError>();
    expect(error.message).toBe('TOO_MANY_TOTP_CHECKS');
    expect(error.retryAfter).toBe(8);
  });

  it('picks a named example with `Prefer: code=401, example=twoFactorRequired`', async () => {
    const { error, response } = await sdk.login({
      client,
      headers: { Prefer: 'code=401, example=twoFactorRequired' },
      body: { username: 'jane@example.com', password: 'Correct-Horse-9' },
    });
    expect(response.status).toBe(401);
    if (!error || !('partialToken' in error)) throw new Error(`expected 2FA_REQUIRED, got ${JSON.stringify(error)}`);
    expect(error.message).toBe('2FA_REQUIRED');
    expect(error.methods).toEqual(['totp', 'recoveryCode']);
  });

  it('refuses a request that breaks the spec, as the real server would', async () => {
    const { response } = await sdk.verifyTotp({ client, headers: auth, body: { totp: '12' } });
    expect(response.status).toBe(400);
  });
  it('serves a browser app on another origin: preflights answered, credentials allowed, cookie mode with `Prefer: code=204`', async () => {
    const origin = 'http://localhost:5173';
    const preflight = await fetch(`${prism.url}/auth/login?cookie=true`, {
      method: 'OPTIONS',
      headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type, prefer' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(origin);
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type, prefer');

    const { response } = await sdk.login({
      client,
      query: { cookie: true },
      headers: { Origin: origin, Prefer: 'code=204' },
      body: { username: 'jane@example.com', password: 'Correct-Horse-9' },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(origin);
    expect(response.headers.get('set-cookie')).toMatch(/^sg_refresh=[A-Za-z0-9_-]+; Max-Age=1209600; Path=\/auth; HttpOnly; SameSite=Strict/);
  });
});
