import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { bearer } from '../support/server.js';
import { startMailTestServer, type MailTestServer } from '../support/server-with-smtp.js';
import { loginPartial, loginTokens, setupTotp } from '../support/two-factor.js';
import { wrongCode } from '../support/codes.js';
import { totpCode } from '../support/totp.js';

let server: MailTestServer;
beforeAll(async () => {
  server = await startMailTestServer();
});
afterAll(() => server.close());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const noticesTo = (email: string) => server.smtp.mailsTo(email).filter((m) => /two-factor|recovery code|stolen sign-in/i.test(m.subject ?? ''));

describe('security notices by mail (outbox → a real SMTP peer)', () => {
  it('a refresh-token reuse mails the owner once, in the default brand and language, with when and from where', async () => {
    const user = await server.createUser();
    const { refreshToken: stolen } = await loginTokens(server, user);
    await sdk.getRefreshToken({ client: server.client, headers: bearer(stolen) });
    server.clock.advance(60_000);
    const replays = await Promise.all(
      [1, 2, 3].map(() => sdk.getRefreshToken({ client: server.client, headers: { ...bearer(stolen), 'user-agent': 'Thief/0.1' } })),
    );
    expect(replays.map((r) => r.response.status)).toEqual([401, 401, 401]);
    const mail = await server.smtp.waitForMail(user.email, { subject: /stolen sign-in/ });
    expect(mail.subject).toBe('A stolen sign-in to your SmartgridOne account was stopped');
    expect(mail.from?.text).toContain('no-reply@smartgridone.com');
    expect(mail.text).toContain('From: 127.0.0.1');
    expect(mail.text).toContain('Device: Thief/0.1');
    expect(mail.text).toContain(`When: ${new Date(server.clock.now()).toISOString().slice(0, 10)}`);
    expect(mail.text).toMatch(/If this wasn't you/);
    // Three racing replays ended the session once: one event, one mail, and the outbox sends it once.
    await sleep(1000);
    expect(noticesTo(user.email)).toHaveLength(1);
  });

  it('TOTP enabled, a recovery code used (with how many remain): one notice each; a failed enable mails nothing', async () => {
    const user = await server.createUser();
    const { accessToken } = await loginTokens(server, user);
    const url = await setupTotp(server, accessToken);
    const failed = await sdk.completeTotp({ client: server.client, headers: bearer(accessToken), body: { totp: wrongCode(url, server.clock.now()) } });
    expect(failed.response.status).toBe(401);
    const enabled = await sdk.completeTotp({ client: server.client, headers: bearer(accessToken), body: { totp: totpCode(url, server.clock.now()) } });
    expect(enabled.response.status).toBe(200);
    const added = await server.smtp.waitForMail(user.email, { subject: /two-factor method was added/ });
    expect(added.text).toContain('The two-factor method "totp" was added');

    const { partialToken } = await loginPartial(server, user);
    const used = await sdk.verifyRecoveryCodes({ client: server.client, headers: bearer(partialToken), body: { recoveryCode: enabled.data!.recoveryCodes[0]! } });
    expect(used.response.status).toBe(200);
    const usedMail = await server.smtp.waitForMail(user.email, { subject: /recovery code/ });
    expect(usedMail.text).toContain('9 unused codes remain');
    await sleep(1000);
    expect(noticesTo(user.email).map((m) => m.subject)).toEqual([
      'A two-factor method was added to your SmartgridOne account',
      'A recovery code of your SmartgridOne account was used',
    ]);
  });
});
