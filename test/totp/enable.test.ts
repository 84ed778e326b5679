import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { bearer, startTestServer, type TestServer } from '../support/server.js';
import { wrongCode } from '../support/codes.js';
import { totpCode } from '../support/totp.js';
import { enableEmailOtpFor, loginPartial, loginTokens, setupTotp } from '../support/two-factor.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const enable = (token: string, totp: string) => sdk.completeTotp({ client: server.client, headers: bearer(token), body: { totp } });

async function userWithPendingTotp() {
  const user = await server.createUser();
  const { accessToken, refreshToken } = await loginTokens(server, user);
  return { user, accessToken, refreshToken, url: await setupTotp(server, accessToken) };
}

describe('POST /user/2fa/totp/enable', () => {
  it('activates the pending secret and returns 10 recovery codes for the first method', async () => {
    const { user, accessToken, url } = await userWithPendingTotp();
    const now = server.clock.now();
    const result = await enable(accessToken, totpCode(url, now));
    expect(result.response.status).toBe(200);
    expect(result.data!.recoveryCodes).toHaveLength(10);
    for (const code of result.data!.recoveryCodes) expect(code).toMatch(/^[A-HJKMNP-Z2-9]{16}$/);
    const row = await server.deps.db('totp_factors').where({ user_id: user.id }).first();
    expect(row.secret_enc).toMatch(/^k1\./);
    expect(row.pending_secret_enc).toBeNull();
    expect(row.completed_at.getTime()).toBe(now);
    expect(row.last_used_step).toBe(Math.floor(now / 30_000));
    expect(await loginPartial(server, user)).toMatchObject({ methods: ['totp', 'recoveryCode'] });
  });

  it('records the accepted step: the enabling code cannot then be replayed on authenticate', async () => {
    const { user, accessToken, url } = await userWithPendingTotp();
    const code = totpCode(url, server.clock.now());
    expect((await enable(accessToken, code)).response.status).toBe(200);
    const { partialToken } = await loginPartial(server, user);
    const replay = await sdk.verifyTotp({ client: server.client, headers: bearer(partialToken), body: { totp: code } });
    expect(replay.response.status).toBe(401);
    expect(replay.error).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'TOTP_INVALID' });
  });

  it('returns [] and keeps the codes when another method is already active', async () => {
    const { user, accessToken, url } = await userWithPendingTotp();
    // Email OTP on first (through the API): it made the 10 recovery codes.
    expect(await enableEmailOtpFor(server, accessToken, user.email)).toHaveLength(10);
    const existing = await server.deps.db('recovery_codes').where({ user_id: user.id }).orderBy('id').pluck('id');
    expect(existing).toHaveLength(10);
    const result = await enable(accessToken, totpCode(url, server.clock.now()));
    expect(result.response.status).toBe(200);
    expect(result.data).toEqual({ recoveryCodes: [] });
    expect(await server.deps.db('recovery_codes').where({ user_id: user.id }).orderBy('id').pluck('id')).toEqual(existing);
  });

  it('answers 401 TOTP_INVALID for a wrong code, keeps TOTP off and counts the guess', async () => {
    const { user, accessToken, url } = await userWithPendingTotp();
    const result = await enable(accessToken, wrongCode(url, server.clock.now()));
    expect(result.response.status).toBe(401);
    expect(result.error).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'TOTP_INVALID' });
    const row = await server.deps.db('totp_factors').where({ user_id: user.id }).first();
    expect(row.completed_at).toBeNull();
    expect(row.pending_secret_enc).not.toBeNull();
    expect(await server.deps.db('guess_counters').where({ user_id: user.id, factor: 'totp' }).first('failures')).toEqual({ failures: 1 });
    await loginTokens(server, user);
  });

  it('answers 409 TOTP_UNINITIALIZED with nothing pending (never set up, or already enabled)', async () => {
    const user = await server.createUser();
    const { accessToken } = await loginTokens(server, user);
    const none = await enable(accessToken, '123456');
    expect(none.response.status).toBe(409);
    expect(none.error).toEqual({ statusCode: 409, error: 'Conflict', message: 'TOTP_UNINITIALIZED' });
    const pending = await userWithPendingTotp();
    expect((await enable(pending.accessToken, totpCode(pending.url, server.clock.now()))).response.status).toBe(200);
    server.clock.advance(30_000);
    const again = await enable(pending.accessToken, totpCode(pending.url, server.clock.now()));
    expect(again.error).toMatchObject({ statusCode: 409, message: 'TOTP_UNINITIALIZED' });
  });

  it('answers 429 TOO_MANY_TOTP_CHECKS with Retry-After after the 3rd failure, without evaluating the early guess', async () => {
    const { user, accessToken, url } = await userWithPendingTotp();
    for (let i = 0; i < 3; i++) expect((await enable(accessToken, wrongCode(url, server.clock.now()))).response.status).toBe(401);
    const early = await enable(accessToken, totpCode(url, server.clock.now()));
    expect(early.response.status).toBe(429);
    expect(early.response.headers.get('retry-after')).toBe('1');
    expect(early.error).toEqual({ statusCode: 429, error: 'Too many requests', message: 'TOO_MANY_TOTP_CHECKS', retryAfter: 1 });
    expect((await server.deps.db('totp_factors').where({ user_id: user.id }).first()).completed_at).toBeNull();
    server.clock.advance(1000);
    expect((await enable(accessToken, totpCode(url, server.clock.now()))).response.status).toBe(200);
    expect(await server.deps.db('guess_counters').where({ user_id: user.id, factor: 'totp' }).first('failures')).toEqual({ failures: 0 });
  });

  it('answers 500 TOTP_CORRUPT when the pending secret does not decrypt, with no detail', async () => {
    const { user, accessToken, url } = await userWithPendingTotp();
    const row = await server.deps.db('totp_factors').where({ user_id: user.id }).first('pending_secret_enc');
    const flipped = row.pending_secret_enc.slice(0, -2) + (row.pending_secret_enc.endsWith('AA') ? 'BB' : 'AA');
    await server.deps.db('totp_factors').where({ user_id: user.id }).update({ pending_secret_enc: flipped });
    const result = await enable(accessToken, totpCode(url, server.clock.now()));
    expect(result.response.status).toBe(500);
    expect(result.error).toEqual({ statusCode: 500, error: 'Internal server error', message: 'TOTP_CORRUPT' });
    // Not counted as a guess.
    expect(await server.deps.db('guess_counters').where({ user_id: user.id, factor: 'totp', failures: 1 }).first()).toBeUndefined();
  });

  it('answers 400 for a code that is not 6 digits, and 401 for a missing, partial or forged token', async () => {
    const { accessToken } = await userWithPendingTotp();
    const short = await enable(accessToken, '12345');
    expect(short.response.status).toBe(400);
    expect(short.error).toMatchObject({ statusCode: 400, error: 'Bad Request', message: 'body.totp must NOT have fewer than 6 characters' });
    const missing = await sdk.completeTotp({ client: server.client, headers: bearer(accessToken), body: {} as never });
    expect(missing.error).toMatchObject({ statusCode: 400, message: "body must have required property 'totp'" });
    const none = await sdk.completeTotp({ client: server.client, body: { totp: '123456' } });
    expect(none.error).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'NO_TOKEN_PROVIDED' });
    expect((await enable('forged', '123456')).error).toMatchObject({ statusCode: 401, message: 'INVALID_TOKEN' });
    // The contract's auth for enable is "access": a partial token is not enough.
    const other = await server.createUser();
    await enableEmailOtpFor(server, (await loginTokens(server, other)).accessToken, other.email);
    const { partialToken } = await loginPartial(server, other);
    expect((await enable(partialToken, '123456')).error).toMatchObject({ statusCode: 401, message: 'INVALID_TOKEN' });
  });
});
