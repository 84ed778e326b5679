import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { bearer } from '../support/server.js';
import { startMailTestServer, type MailTestServer } from '../support/server-with-smtp.js';
import { totpCode } from '../support/totp.js';
import { setupTotp } from '../support/two-factor.js';
import { freshUser, newAddress, recoveryCodeCount, setupCode } from '../email-otp/support.js';
import { encryptSecret } from '../../src/crypto/aead.js';
import { withTx } from '../../src/db/tx.js';
import { removeEmailOtp } from '../../src/email-otp/service.js';
import { replaceRecoveryCodes } from '../../src/recovery-codes/codes.js';
import { enableTotp, removeTotp, setupTotp as setupTotpSecret } from '../../src/totp/service.js';
import { getTwoFaStatus } from '../../src/two-factor/service.js';

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

describe('enabling and removing methods at the same moment', () => {
  const now = () => new Date(server.clock.now());
  const sealed = (userId: string) => encryptSecret(server.deps.config.totpEncryptionKeys, 'JBSWY3DPEHPK3PXPJBSWY3DP', `totp_factors:${userId}`);

  it('removing both methods at once turns 2FA off and deletes the recovery codes', async () => {
    for (let i = 0; i < 10; i++) {
      const { user } = await freshUser(server);
      await server.deps.db('totp_factors').insert({ user_id: user.id, secret_enc: sealed(user.id), completed_at: now() });
      await server.deps.db('email_otp_factors').insert({ user_id: user.id, email: user.email, completed_at: now() });
      await withTx(server.deps.db, (trx) => replaceRecoveryCodes(trx, server.deps, user.id));
      await Promise.all([removeTotp(server.deps, user.id), removeEmailOtp(server.deps, user.id)]);
      const status = await getTwoFaStatus(server.deps.db, user.id);
      expect(status.enabled).toBe(false);
      expect(await recoveryCodeCount(server, user.id)).toBe(0);
    }
  });

  it('enabling TOTP while the only other method is removed leaves 2FA on with recovery codes', async () => {
    for (let i = 0; i < 10; i++) {
      const { user } = await freshUser(server);
      await server.deps.db('email_otp_factors').insert({ user_id: user.id, email: user.email, completed_at: now() });
      await withTx(server.deps.db, (trx) => replaceRecoveryCodes(trx, server.deps, user.id));
      const url = await setupTotpSecret(server.deps, { userId: user.id, kind: 'sudo' });
      const [codes] = await Promise.all([
        enableTotp(server.deps, user.id, totpCode(url, server.clock.now())),
        new Promise((resolve) => setTimeout(resolve, i % 5)).then(() => removeEmailOtp(server.deps, user.id)),
      ]);
      const status = await getTwoFaStatus(server.deps.db, user.id);
      expect(status.enabled).toBe(true);
      // Whichever came first, the user ends with exactly one live set of 10 codes.
      expect(await recoveryCodeCount(server, user.id)).toBe(10);
      expect([0, 10]).toContain(codes.length);
    }
  });
});
