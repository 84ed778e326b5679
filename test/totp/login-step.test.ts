import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { startGatedSession } from '../../src/sessions/service.js';
import { totpLoginGate, type TotpLoginGated } from '../../src/totp/queries.js';
import { bearer, startTestServer, type TestServer } from '../support/server.js';
import { wrongCode } from '../support/codes.js';
import { stepAt, totpCode } from '../support/totp.js';
import { loginPartial, sudoViaTotp, userWithTotp } from '../support/two-factor.js';

/*
 * The TOTP step of a login runs without a transaction: a read, the code check, then a session
 * statement that decides again on the rows as they are then (src/totp/queries.ts). These tests
 * cover what may happen between the two, and the races the counter lock used to serialise.
 */

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const verify = (token: string, totp: string) => sdk.verifyTotp({ client: server.client, headers: bearer(token), body: { totp } });
const counter = async (userId: string) => (await server.deps.db('guess_counters').where({ user_id: userId, factor: 'totp' }).first('failures'))?.failures ?? 0;
const refreshTokens = async (userId: string) => Number((await server.deps.db('refresh_tokens').where({ user_id: userId }).count({ n: '*' }))[0]!.n);
const lastStep = async (userId: string) => Number((await server.deps.db('totp_factors').where({ user_id: userId }).first('last_used_step')).last_used_step);

async function loginState() {
  const { user, url, accessToken } = await userWithTotp(server);
  const { partialToken } = await loginPartial(server, user);
  const row = await server.deps.db('users').where({ id: user.id }).first('password_changed_at');
  const factor = await server.deps.db('totp_factors').where({ user_id: user.id }).first('secret_enc');
  return { user, url, accessToken, partialToken, caller: { userId: user.id, passwordChangedAt: row.password_changed_at.getTime() }, sealed: factor.secret_enc as string };
}

/** The session statement as loginWithTotp runs it, after its read said yes, for a code of the current step. */
function sessionStatement(state: Awaited<ReturnType<typeof loginState>>, sealed = state.sealed) {
  const now = server.clock.now();
  const deps = { ...server.deps, client: { address: '127.0.0.1', userAgent: 'login-step test' } };
  const gate = totpLoginGate({ ...state.caller, sealed, step: stepAt(now), now: new Date(now) });
  return startGatedSession<TotpLoginGated>(server.deps.db, deps, state.caller, 'totp', gate);
}

describe('TOTP at login: the session statement decides again', () => {
  it('makes the session, claims the step and resets the counter when nothing changed since the read', async () => {
    const state = await loginState();
    await server.deps.db('guess_counters').where({ user_id: state.user.id, factor: 'totp' }).update({ failures: 2, last_failure_at: new Date(server.clock.now()) });
    const before = await refreshTokens(state.user.id);
    const { started, gated } = await sessionStatement(state);
    expect(started?.sessionId).toBeTruthy();
    expect(gated).toEqual({ guess_allowed: true, step_claimed: true });
    expect(await lastStep(state.user.id)).toBe(stepAt(server.clock.now()));
    expect(await counter(state.user.id)).toBe(0);
    expect(await refreshTokens(state.user.id)).toBe(before + 1);
  });

  it('claims nothing when a new secret replaced the one the code was checked against', async () => {
    const state = await loginState();
    const stepBefore = await lastStep(state.user.id);
    const { started, gated } = await sessionStatement(state, `${state.sealed}x`);
    expect(started).toBeUndefined();
    expect(gated).toEqual({ guess_allowed: true, step_claimed: false });
    expect(await lastStep(state.user.id)).toBe(stepBefore);
  });

  it('claims nothing when TOTP was removed since the read', async () => {
    const state = await loginState();
    await server.deps.db('totp_factors').where({ user_id: state.user.id }).update({ secret_enc: null, completed_at: null });
    const { started, gated } = await sessionStatement(state);
    expect(started).toBeUndefined();
    expect(gated.step_claimed).toBe(false);
  });

  it('refuses a guess when the counter went into its wait since the read, without claiming the step', async () => {
    const state = await loginState();
    const stepBefore = await lastStep(state.user.id);
    await server.deps.db('guess_counters').where({ user_id: state.user.id, factor: 'totp' }).update({ failures: 5, last_failure_at: new Date(server.clock.now()) });
    const { started, gated } = await sessionStatement(state);
    expect(started).toBeUndefined();
    expect(gated).toEqual({ guess_allowed: false, step_claimed: false });
    expect(await lastStep(state.user.id)).toBe(stepBefore);
    expect(await counter(state.user.id)).toBe(5);
  });

  it('makes no session when the password changed since the read (the code is used up, the counter untouched)', async () => {
    const state = await loginState();
    await server.deps.db('guess_counters').where({ user_id: state.user.id, factor: 'totp' }).update({ failures: 1, last_failure_at: new Date(server.clock.now()) });
    await server.deps.db('users').where({ id: state.user.id }).update({ password_changed_at: new Date(server.clock.now() + 1000) });
    const before = await refreshTokens(state.user.id);
    const { started, gated } = await sessionStatement(state);
    expect(started).toBeUndefined();
    expect(gated).toEqual({ guess_allowed: true, step_claimed: true });
    expect(await refreshTokens(state.user.id)).toBe(before);
    expect(await counter(state.user.id)).toBe(1);
  });
});

describe('TOTP at login: concurrent requests', () => {
  it('of 10 parallel logins with one valid code exactly one succeeds; the others are refused as replays (counted) or early', async () => {
    const state = await loginState();
    const before = await refreshTokens(state.user.id);
    const code = totpCode(state.url, server.clock.now());
    const results = await Promise.all(Array.from({ length: 10 }, () => verify(state.partialToken, code)));
    const statuses = results.map((r) => r.response.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s !== 200).every((s) => s === 401 || s === 429)).toBe(true);
    expect(await refreshTokens(state.user.id)).toBe(before + 1);
    expect(await lastStep(state.user.id)).toBe(stepAt(server.clock.now()));
    // Each replay refused with 401 was counted; the 429s were not.
    expect(await counter(state.user.id)).toBe(statuses.filter((s) => s === 401).length);
  });

  it('counts concurrent wrong codes each, and refuses those past the free failures with 429', async () => {
    const state = await loginState();
    const wrong = wrongCode(state.url, server.clock.now());
    const results = await Promise.all(Array.from({ length: 6 }, () => verify(state.partialToken, wrong)));
    const statuses = results.map((r) => r.response.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(3);
    expect(statuses.filter((s) => s === 429)).toHaveLength(3);
    expect(await counter(state.user.id)).toBe(3);
  });

  it('never deadlocks or answers 5xx with TOTP logins racing the removal of TOTP', async () => {
    for (let round = 0; round < 3; round++) {
      const state = await loginState();
      const sudoToken = await sudoViaTotp(server, state.accessToken, state.url);
      server.clock.advance(30_000);
      const code = totpCode(state.url, server.clock.now());
      const results = await Promise.all([
        ...[0, 1, 2].map(() => verify(state.partialToken, code)),
        sdk.removeTotp({ client: server.client, headers: bearer(sudoToken) }),
      ]);
      expect(results.map((r) => r.response.status).filter((s) => s >= 500)).toEqual([]);
      expect(results.at(-1)!.response.status).toBe(200);
      expect(results.slice(0, 3).filter((r) => r.response.status === 200).length).toBeLessThanOrEqual(1);
    }
  });
});
