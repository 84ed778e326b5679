'use strict';
// Recovery codes (contract: User group #13-15).
const { contract } = require('../lib/kit.cjs');

const c = contract(require('hooks'));

// POST /user/2fa/recovery-code/reset
c.setup('resetRecoveryCodes', 200, async (t, fx) => {
  const { accessToken, recoveryCodes } = await fx.totpUser();
  t.bearer((await fx.passWithRecoveryCode(accessToken, recoveryCodes[0])).sudoToken);
});
c.setup('resetRecoveryCodes', 400, (t) => t.json({ unexpected: true }));
c.setup('resetRecoveryCodes', 401, (t) => t.noAuth());
// A sudo token from before the last 2FA method was removed: 2FA is off, no codes to reset.
c.setup('resetRecoveryCodes', 409, async (t, fx) => {
  const { accessToken, recoveryCodes } = await fx.totpUser();
  const { sudoToken } = await fx.passWithRecoveryCode(accessToken, recoveryCodes[0]);
  await fx.expectStatus(200, 'DELETE', '/user/2fa/totp', { token: sudoToken });
  t.bearer(sudoToken);
});

// POST /user/2fa/recovery-code/authenticate
c.setup('verifyRecoveryCodes', 200, async (t, fx) => {
  const { user, recoveryCodes } = await fx.totpUser();
  t.bearer((await fx.partialLogin(user)).partialToken);
  t.json({ recoveryCode: recoveryCodes[0] });
});
c.setup('verifyRecoveryCodes', 400, (t) => t.json({ recoveryCode: 'short' }));
c.setup('verifyRecoveryCodes', 401, async (t, fx) => {
  const { user, recoveryCodes } = await fx.totpUser();
  t.bearer((await fx.partialLogin(user)).partialToken);
  t.json({ recoveryCode: recoveryCodes.includes('ABCDEFGHJKMNPQRS') ? 'SRQPNMKJHGFEDCBA' : 'ABCDEFGHJKMNPQRS' });
});
c.setup('verifyRecoveryCodes', 409, async (t, fx) => t.bearer((await fx.session()).accessToken));
c.setup('verifyRecoveryCodes', 429, async (t, fx) => {
  const { user, recoveryCodes } = await fx.totpUser();
  await fx.blockGuesses(user.id, 'recovery_code');
  t.bearer((await fx.partialLogin(user)).partialToken);
  t.json({ recoveryCode: recoveryCodes[0] });
});

// GET /user/2fa/recovery-code/next-guess
c.setup('recoveryCodeGuessWaitDuration', 200, async (t, fx) => {
  const { user } = await fx.totpUser();
  t.bearer((await fx.partialLogin(user)).partialToken);
});
c.setup('recoveryCodeGuessWaitDuration', 401, (t) => t.noAuth());
c.setup('recoveryCodeGuessWaitDuration', 409, async (t, fx) => t.bearer((await fx.session()).accessToken));
