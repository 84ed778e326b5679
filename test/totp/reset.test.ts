import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { bearer, startTestServer, type TestServer } from '../support/server.js';
import { totpCode } from '../support/totp.js';
import { loginPartial, setupTotp, sudoViaTotp, userWithTotp } from '../support/two-factor.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const verify = (token: string, totp: string) => sdk.verifyTotp({ client: server.client, headers: bearer(token), body: { totp } });

describe('resetting an active TOTP', () => {
  it('keeps the old secret working until the new one is enabled, then only the new one works', async () => {
    const { user, url: oldUrl, accessToken } = await userWithTotp(server);
    const sudoToken = await sudoViaTotp(server, accessToken, oldUrl);
    const newUrl = await setupTotp(server, sudoToken);
    expect(newUrl).not.toBe(oldUrl);

    // Pending reset: still on, the old secret still logs in, the new one does not yet.
    const status = await sdk.getTwoFa({ client: server.client, headers: bearer(accessToken) });
    expect(status.data!.enabled).toBe(true);
    expect(status.data!.totp!.completedAt).not.toBeNull();
    server.clock.advance(30_000);
    const { partialToken } = await loginPartial(server, user);
    expect((await verify(partialToken, totpCode(newUrl, server.clock.now()))).response.status).toBe(401);
    expect((await verify(partialToken, totpCode(oldUrl, server.clock.now()))).response.status).toBe(200);

    // A wrong code for the new secret changes nothing.
    server.clock.advance(30_000);
    expect((await sdk.completeTotp({ client: server.client, headers: bearer(accessToken), body: { totp: totpCode(oldUrl, server.clock.now()) } })).response.status).toBe(401);
    expect((await verify(accessToken, totpCode(oldUrl, server.clock.now()))).response.status).toBe(200);

    // Enabling the new one: [] (TOTP was already on, the codes stay), and the old one stops working.
    server.clock.advance(30_000);
    const codesBefore = await server.deps.db('recovery_codes').where({ user_id: user.id }).pluck('id');
    const enabled = await sdk.completeTotp({ client: server.client, headers: bearer(accessToken), body: { totp: totpCode(newUrl, server.clock.now()) } });
    expect(enabled.response.status).toBe(200);
    expect(enabled.data).toEqual({ recoveryCodes: [] });
    expect((await server.deps.db('recovery_codes').where({ user_id: user.id }).pluck('id')).sort()).toEqual(codesBefore.sort());
    server.clock.advance(30_000);
    expect((await verify(accessToken, totpCode(oldUrl, server.clock.now()))).response.status).toBe(401);
    expect((await verify(accessToken, totpCode(newUrl, server.clock.now()))).response.status).toBe(200);
  });
});
