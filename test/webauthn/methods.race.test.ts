import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { bearer, startTestServer, type TestServer } from '../support/server.js';
import { loginTokens, setupTotp } from '../support/two-factor.js';
import { totpCode } from '../support/totp.js';
import { TEST_ORIGIN, userWithPasskey } from '../support/passkeys.js';
import { SoftAuthenticator } from '../support/webauthn.js';
import { removeTotp } from '../../src/totp/service.js';
import { removeWebauthnCredential } from '../../src/webauthn/service.js';
import { getTwoFaStatus } from '../../src/two-factor/service.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const recoveryCodeCount = async (userId: string) => Number((await server.deps.db('recovery_codes').where({ user_id: userId }).count('* as n').first())!.n);

describe('passkeys and the first- and last-method rules under concurrency', () => {
  it('enabling a passkey and TOTP at the same moment creates one set of recovery codes, returned once', async () => {
    for (let round = 0; round < 10; round++) {
      const user = await server.createUser();
      const { accessToken } = await loginTokens(server, user);
      const url = await setupTotp(server, accessToken);
      const setup = await sdk.initiateWebauthn({ client: server.client, headers: bearer(accessToken), body: {} });
      const credential = new SoftAuthenticator(TEST_ORIGIN).register(setup.data!.options);
      const [totp, passkey] = await Promise.all([
        sdk.completeTotp({ client: server.client, headers: bearer(accessToken), body: { totp: totpCode(url, server.clock.now()) } }),
        sdk.completeWebauthn({ client: server.client, headers: bearer(accessToken), body: { credential } }),
      ]);
      expect([totp.response.status, passkey.response.status]).toEqual([200, 200]);
      expect([totp.data!.recoveryCodes.length, passkey.data!.recoveryCodes.length].sort((a, b) => a - b)).toEqual([0, 10]);
      expect(await recoveryCodeCount(user.id)).toBe(10);
    }
  });

  it('removing the last passkey and TOTP at the same moment turns 2FA off and deletes the recovery codes', async () => {
    for (let round = 0; round < 10; round++) {
      const { user, accessToken, authenticator } = await userWithPasskey(server);
      const { sudoToken } = (await sdk.verifyWebauthn({
        client: server.client, headers: bearer(accessToken),
        body: { credential: authenticator.assert((await sdk.initiateWebauthnAuthentication({ client: server.client, headers: bearer(accessToken), body: {} })).data!.options) },
      })).data!;
      const url = await setupTotp(server, sudoToken);
      expect((await sdk.completeTotp({ client: server.client, headers: bearer(sudoToken), body: { totp: totpCode(url, server.clock.now()) } })).response.status).toBe(200);
      const [passkey] = (await sdk.listWebauthnCredentials({ client: server.client, headers: bearer(accessToken) })).data!;
      await Promise.all([removeTotp(server.deps, user.id), removeWebauthnCredential(server.deps, user.id, passkey!.id)]);
      const status = await getTwoFaStatus(server.deps.db, user.id);
      expect(status).toMatchObject({ enabled: false, totp: null, webauthn: null, recoveryCodes: null });
      expect(await recoveryCodeCount(user.id)).toBe(0);
    }
  });
});
