import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { bearer, startTestServer, type TestServer } from '../support/server.js';
import { stepAt, totpCode } from '../support/totp.js';
import { userWithTotp } from '../support/two-factor.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const verify = (token: string, totp: string) => sdk.verifyTotp({ client: server.client, headers: bearer(token), body: { totp } });

describe('TOTP replay protection', () => {
  it('never accepts an accepted time step again', async () => {
    const { url, accessToken } = await userWithTotp(server);
    const code = totpCode(url, server.clock.now());
    expect((await verify(accessToken, code)).response.status).toBe(200);
    const replay = await verify(accessToken, code);
    expect(replay.response.status).toBe(401);
    expect(replay.error).toMatchObject({ message: 'TOTP_INVALID' });
    // Still inside the window 30 s later, still refused.
    server.clock.advance(30_000);
    expect((await verify(accessToken, code)).response.status).toBe(401);
  });

  it('refuses an earlier step once a later one was accepted', async () => {
    const { url, accessToken } = await userWithTotp(server);
    const now = server.clock.now();
    expect((await verify(accessToken, totpCode(url, now, +1))).response.status).toBe(200);
    expect((await verify(accessToken, totpCode(url, now, 0))).response.status).toBe(401);
    expect((await verify(accessToken, totpCode(url, now, -1))).response.status).toBe(401);
  });

  it('of 10 parallel requests with one valid code exactly one succeeds', async () => {
    const { user, url, accessToken } = await userWithTotp(server);
    const code = totpCode(url, server.clock.now());
    const results = await Promise.all(Array.from({ length: 10 }, () => verify(accessToken, code)));
    const statuses = results.map((r) => r.response.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    // The rest were refused: as replays (401, counted) or, once the backoff set in, early (429).
    expect(statuses.filter((s) => s !== 200).every((s) => s === 401 || s === 429)).toBe(true);
    expect((await server.deps.db('refresh_tokens').where({ user_id: user.id }).count({ n: '*' }))[0]!.n).toBe(2);
    expect((await server.deps.db('totp_factors').where({ user_id: user.id }).first('last_used_step')).last_used_step).toBe(stepAt(server.clock.now()));
  });
});
