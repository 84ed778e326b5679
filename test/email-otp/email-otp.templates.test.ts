import { copyFile, mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sdk from '../../generated/sdk.gen.js';
import { withTx } from '../../src/db/tx.js';
import { replaceRecoveryCodes } from '../../src/recovery-codes/codes.js';
import { bearer } from '../support/server.js';
import { mintToken, startMailTestServer, type MailTestServer } from '../support/server-with-smtp.js';
import { loginTokens } from '../support/two-factor.js';

/**
 * A mail configuration whose only templates are the transfer code's: setup and challenge lack
 * theirs, and a transfer lacks the notice to the old address. Each must answer 500 and store nothing.
 */
let server: MailTestServer;
let templatesDir: string;
beforeAll(async () => {
  templatesDir = await mkdtemp(join(tmpdir(), 'sg1-templates-'));
  await mkdir(join(templatesDir, 'bare', 'en'), { recursive: true });
  for (const part of ['subject', 'html', 'txt']) {
    const file = `email_transfer_code.${part}.eta`;
    await copyFile(join('templates', 'smartgridone', 'en', file), join(templatesDir, 'bare', 'en', file));
  }
  await writeFile(
    join(templatesDir, 'bare', 'config.json'),
    JSON.stringify({
      name: 'Bare', default: true, origins: [], from: { address: 'no-reply@bare.example', name: 'Bare' },
      linkBaseUrl: 'https://bare.example', defaultLanguage: 'en', languages: ['en'],
    }),
  );
  server = await startMailTestServer({ templatesDir });
});
afterAll(async () => {
  await server.close();
  await rm(templatesDir, { recursive: true, force: true });
});

const missingTemplate = { statusCode: 500, error: 'Internal server error', message: 'UNABLE_TO_FIND_MAIL_TEMPLATE' };

async function nothingStored(userId: string) {
  expect(await server.deps.db('one_time_codes').where({ user_id: userId })).toEqual([]);
  expect(await server.deps.db('mail_throttle')).toEqual([]);
  expect(await server.deps.db('mail_outbox')).toEqual([]);
}

describe('a mail configuration without the needed template', () => {
  it('setup: 500 UNABLE_TO_FIND_MAIL_TEMPLATE, and nothing is stored', async () => {
    const user = await server.createUser();
    const token = (await loginTokens(server, user)).accessToken;
    const setup = await sdk.initiateEmailOtp({ client: server.client, headers: bearer(token), body: { email: 'someone@example.com' }, query: { language: 'en' } });
    expect(setup.response.status).toBe(500);
    expect(setup.error).toEqual(missingTemplate);
    expect(await server.deps.db('email_otp_factors').where({ user_id: user.id })).toEqual([]);
    await nothingStored(user.id);
  });

  it('challenge: 500 UNABLE_TO_FIND_MAIL_TEMPLATE, and nothing is stored', async () => {
    const user = await server.createUser();
    // Email OTP on as the service leaves it (factor and recovery codes, one transaction), written
    // directly: this configuration cannot mail the setup code that enabling through the API needs.
    await withTx(server.deps.db, async (trx) => {
      await trx('email_otp_factors').insert({ user_id: user.id, email: 'otp@example.com', completed_at: new Date(server.clock.now()) });
      await replaceRecoveryCodes(trx, server.deps, user.id);
    });
    const challenge = await sdk.initiateEmailOtpAuthentication({ client: server.client, headers: bearer(await mintToken(server, user.id, 'partial')), body: {} });
    expect(challenge.response.status).toBe(500);
    expect(challenge.error).toEqual(missingTemplate);
    await nothingStored(user.id);
  });

  it('email transfer: 500 UNABLE_TO_FIND_MAIL_TEMPLATE when the old address could not be told, and nothing is stored', async () => {
    const user = await server.createUser();
    const token = (await loginTokens(server, user)).accessToken;
    const initiate = await sdk.initiatePutEmail({ client: server.client, headers: bearer(token), body: { email: 'new@example.com' } });
    expect(initiate.response.status).toBe(500);
    expect(initiate.error).toEqual(missingTemplate);
    await nothingStored(user.id);
  });
});
