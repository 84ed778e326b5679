import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { bearer } from '../support/server.js';
import { startMailTestServer, type MailTestServer } from '../support/server-with-smtp.js';
import { totpCode } from '../support/totp.js';
import { setupTotp } from '../support/two-factor.js';
import { freshUser, newAddress, recoveryCodeCount, setupCode } from '../email-otp/support.js';

let server: MailTestServer;
beforeAll(async () => {
  server = await startMailTestServer();
});
afterAll(() => server.close());

describe('the first-method rule under concurrency', () => {
  it('enabling TOTP and email OTP at the same moment creates one set of recovery codes, returned once', async () => {
    for (let round = 0; round < 3; round++) {
      const { user, accessToken } = await freshUser(server);
      const url = await setupTotp(server, accessToken);
      const otp = await setupCode(server, accessToken, newAddress('race'));
      const [totp, email] = await Promise.all([
        sdk.completeTotp({ client: server.client, headers: bearer(accessToken), body: { totp: totpCode(url, server.clock.now()) } }),
        sdk.completeEmailOtp({ client: server.client, headers: bearer(accessToken), body: { otp } }),
      ]);
      expect([totp.response.status, email.response.status]).toEqual([200, 200]);
      const returned = [totp.data!.recoveryCodes, email.data!.recoveryCodes].map((codes) => codes.length).sort();
      expect(returned).toEqual([0, 10]);
      expect(await recoveryCodeCount(server, user.id)).toBe(10);
    }
  });
});
