import type { TokenSet } from '../../generated/types.gen.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { bearer, startTestServer, type TestServer } from '../support/server.js';
import { wrongCode } from '../support/codes.js';
import { stepAt, totpCode } from '../support/totp.js';
import { loginPartial, loginTokens, setupTotp, userWithTotp } from '../support/two-factor.js';
import { statementsDuring } from '../support/round-trips.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const verify = (token: string | undefined, totp: string) =>
  sdk.verifyTotp({ client: server.client, headers: token === undefined ? {} : bearer(token), body: { totp } });
const failures = async (userId: string) => (await server.deps.db('guess_counters').where({ user_id: userId, factor: 'totp' }).first('failures'))?.failures ?? 0;
const freshAccess = async (refreshToken: string) => (await sdk.getAccessToken({ client: server.client, headers: bearer(refreshToken) })).data as string;

describe('POST /user/2fa/totp/authenticate', () => {
  it('completes a login: partial token + code → access, refresh and sudo tokens that work', async () => {
    const { user, url } = await userWithTotp(server);
    const { partialToken, methods } = await loginPartial(server, user);
    expect(methods).toEqual(['totp', 'recoveryCode']);
    const result = await verify(partialToken, totpCode(url, server.clock.now()));
    expect(result.response.status).toBe(200);
    const { accessToken, refreshToken, sudoToken } = result.data! as TokenSet; // no cookie mode: all three in the body
    expect((await sdk.validateAccessToken({ client: server.client, headers: bearer(accessToken) })).data).toEqual({ userId: user.id });
    expect((await sdk.validateRefreshToken({ client: server.client, headers: bearer(refreshToken) })).data).toEqual({ userId: user.id });
    // The sudo token is what sudo-only operations take.
    expect((await sdk.resetRecoveryCodes({ client: server.client, headers: bearer(sudoToken), body: {} })).response.status).toBe(200);
  });

  it('steps up with an access token (and takes a sudo token too)', async () => {
    const { url, accessToken } = await userWithTotp(server);
    const stepUp = await verify(accessToken, totpCode(url, server.clock.now()));
    expect(stepUp.response.status).toBe(200);
    server.clock.advance(30_000);
    const again = await verify(stepUp.data!.sudoToken, totpCode(url, server.clock.now()));
    expect(again.response.status).toBe(200);
  });

  it('accepts codes computed independently (node:crypto HOTP) at t-1, t, t+1 and rejects t-2, t+2, at both ends of a step', async () => {
    const { user, url, refreshToken } = await userWithTotp(server);
    // Start on a step boundary a few steps ahead, so every step used below is still unused.
    let step = stepAt(server.clock.now()) + 3;
    const check = async (atMs: number, codeStep: number) => {
      server.clock.set(atMs);
      return (await verify(await freshAccess(refreshToken), totpCode(url, codeStep * 30_000))).response.status;
    };
    expect(await check(step * 30_000, step - 1)).toBe(200); // first ms of t, code of t-1
    step += 3;
    expect(await check(step * 30_000 + 29_999, step)).toBe(200); // last ms of t, code of t
    step += 3;
    expect(await check(step * 30_000 + 29_999, step + 1)).toBe(200); // last ms of t, code of t+1
    step += 5;
    expect(await check(step * 30_000, step + 1)).toBe(200); // first ms of t, code of t+1
    // Rejections, each 3 steps apart (the backoff after the 3rd failure is long over) and each for
    // a step later than any accepted one, so only the window can be the reason.
    step += 5;
    expect(await check(step * 30_000, step - 2)).toBe(401); // first ms of t, code of t-2
    step += 3;
    expect(await check(step * 30_000 + 29_999, step + 2)).toBe(401); // last ms of t, code of t+2
    step += 3;
    expect(await check(step * 30_000 + 29_999, step - 2)).toBe(401); // last ms of t, code of t-2
    step += 3;
    expect(await check(step * 30_000, step + 2)).toBe(401); // first ms of t, code of t+2
    expect(await failures(user.id)).toBe(4);
  }, 30_000);

  it('answers 401 TOTP_INVALID for a wrong code and counts it', async () => {
    const { user, url, accessToken } = await userWithTotp(server);
    const result = await verify(accessToken, wrongCode(url, server.clock.now()));
    expect(result.response.status).toBe(401);
    expect(result.error).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'TOTP_INVALID' });
    expect(await failures(user.id)).toBe(1);
  });

  it('counts two concurrent wrong guesses both', async () => {
    const { user, url, accessToken } = await userWithTotp(server);
    const wrong = wrongCode(url, server.clock.now());
    const results = await Promise.all([verify(accessToken, wrong), verify(accessToken, wrong)]);
    expect(results.map((r) => r.response.status)).toEqual([401, 401]);
    expect(await failures(user.id)).toBe(2);
  });

  it('backs off after the 3rd failure: 429 + Retry-After, the early right code is not evaluated, the wait doubles and expires', async () => {
    const { user, url, accessToken } = await userWithTotp(server);
    const wrong = () => verify(accessToken, wrongCode(url, server.clock.now()));
    for (let i = 0; i < 3; i++) expect((await wrong()).response.status).toBe(401);
    const stepBefore = (await server.deps.db('totp_factors').where({ user_id: user.id }).first('last_used_step')).last_used_step;

    const early = await verify(accessToken, totpCode(url, server.clock.now()));
    expect(early.response.status).toBe(429);
    expect(early.response.headers.get('retry-after')).toBe('1');
    expect(early.error).toEqual({ statusCode: 429, error: 'Too many requests', message: 'TOO_MANY_TOTP_CHECKS', retryAfter: 1 });
    expect(await failures(user.id)).toBe(3); // not counted
    expect((await server.deps.db('totp_factors').where({ user_id: user.id }).first('last_used_step')).last_used_step).toBe(stepBefore); // not evaluated

    server.clock.advance(1000);
    expect((await wrong()).response.status).toBe(401); // 4th failure: next wait 2 s
    server.clock.advance(1500);
    const stillEarly = await wrong();
    expect(stillEarly.response.status).toBe(429);
    expect(stillEarly.response.headers.get('retry-after')).toBe('1'); // 0.5 s rounds up
    expect(stillEarly.error).toMatchObject({ retryAfter: 1 });
    server.clock.advance(500);
    const ok = await verify(accessToken, totpCode(url, server.clock.now()));
    expect(ok.response.status).toBe(200);
    expect(await failures(user.id)).toBe(0); // success resets
  });

  it('answers 409 TOTP_UNINITIALIZED without an active TOTP (never set up, or only pending)', async () => {
    const user = await server.createUser();
    const { accessToken } = await loginTokens(server, user);
    const none = await verify(accessToken, '123456');
    expect(none.response.status).toBe(409);
    expect(none.error).toEqual({ statusCode: 409, error: 'Conflict', message: 'TOTP_UNINITIALIZED' });
    const url = await setupTotp(server, accessToken);
    const pending = await verify(accessToken, totpCode(url, server.clock.now()));
    expect(pending.error).toMatchObject({ statusCode: 409, message: 'TOTP_UNINITIALIZED' });
  });

  it('answers 500 TOTP_CORRUPT when the active secret does not decrypt, with no detail and nothing counted', async () => {
    const { user, url, accessToken } = await userWithTotp(server);
    const other = await userWithTotp(server);
    // A ciphertext moved from another user's row does not open either (the user id is bound in).
    const moved = (await server.deps.db('totp_factors').where({ user_id: other.user.id }).first('secret_enc')).secret_enc;
    await server.deps.db('totp_factors').where({ user_id: user.id }).update({ secret_enc: moved });
    const result = await verify(accessToken, totpCode(url, server.clock.now()));
    expect(result.response.status).toBe(500);
    expect(result.error).toEqual({ statusCode: 500, error: 'Internal server error', message: 'TOTP_CORRUPT' });
    await server.deps.db('totp_factors').where({ user_id: user.id }).update({ secret_enc: 'k1.garbage' });
    expect((await verify(accessToken, totpCode(url, server.clock.now()))).error).toMatchObject({ message: 'TOTP_CORRUPT' });
    expect(await failures(user.id)).toBe(0);
  });

  it('answers 400 for a malformed code and 401 NO_TOKEN_PROVIDED / INVALID_TOKEN for a missing or wrong-kind token', async () => {
    const { url, accessToken, refreshToken } = await userWithTotp(server);
    const letters = await verify(accessToken, 'abcdef');
    expect(letters.response.status).toBe(400);
    expect(letters.error).toEqual({ statusCode: 400, error: 'Bad Request', message: 'body.totp must match pattern "^[0-9]{6}$"' });
    const extra = await sdk.verifyTotp({ client: server.client, headers: bearer(accessToken), body: { totp: '123456', x: 1 } as never });
    expect(extra.response.status).toBe(400);
    const none = await verify(undefined, totpCode(url, server.clock.now()));
    expect(none.error).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'NO_TOKEN_PROVIDED' });
    const refresh = await verify(refreshToken, totpCode(url, server.clock.now()));
    expect(refresh.error).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'INVALID_TOKEN' });
  });
});

describe('POST /user/2fa/totp/authenticate round trips', () => {
  it('at login takes 2 statements, nothing held between them: the read (token, factor, counter), then the session statement that claims the step', async () => {
    const { user, url } = await userWithTotp(server);
    const { partialToken } = await loginPartial(server, user);
    const statements = await statementsDuring(server.deps.db, async () => {
      expect((await verify(partialToken, totpCode(url, server.clock.now()))).response.status).toBe(200);
    });
    expect(statements).toHaveLength(2);
    expect(statements[0]).toMatch(/left join totp_factors f on f\.user_id = u\.id\s+left join guess_counters c/);
    expect(statements[1]).toMatch(/update totp_factors set last_used_step/);
    expect(statements[1]).toMatch(/insert into sessions/);
  });

  it('at step-up takes 9: the session check, then BEGIN, counter lock with the token check, factor, step claim, user row FOR SHARE, session extension, its refresh token, COMMIT', async () => {
    const { url, accessToken } = await userWithTotp(server);
    const statements = await statementsDuring(server.deps.db, async () => {
      expect((await verify(accessToken, totpCode(url, server.clock.now()))).response.status).toBe(200);
    });
    expect(statements).toHaveLength(9);
    expect(statements[0]).toMatch(/from "sessions"/);
    expect(statements.filter((sql) => /from "totp_factors"/.test(sql))).toHaveLength(1);
  });

  it('refuses a token voided by a password change with 401 INVALID_TOKEN before counting the guess or using the code', async () => {
    const { user, url } = await userWithTotp(server);
    const { partialToken } = await loginPartial(server, user);
    await server.deps.db('users').where({ id: user.id }).update({ password_changed_at: new Date(server.clock.now() + 1000) });
    const wrong = await verify(partialToken, wrongCode(url, server.clock.now()));
    expect(wrong.error).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'INVALID_TOKEN' });
    const right = await verify(partialToken, totpCode(url, server.clock.now()));
    expect(right.error).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'INVALID_TOKEN' });
    expect(await failures(user.id)).toBe(0);
    const factor = await server.deps.db('totp_factors').where({ user_id: user.id }).first('last_used_step');
    expect(factor.last_used_step).toBeLessThan(stepAt(server.clock.now()));
  });
});
