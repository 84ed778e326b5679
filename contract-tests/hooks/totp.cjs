'use strict';
// TOTP (contract: User group #8-12).
const { contract } = require('../lib/kit.cjs');

const c = contract(require('hooks'));

// POST /user/2fa/totp/setup
c.setup('initiateTotp', 200, async (t, fx) => t.bearer((await fx.session()).accessToken));
c.setup('initiateTotp', 400, async (t, fx) => {
  t.bearer((await fx.session()).accessToken);
  t.json({ unexpected: true });
});
c.setup('initiateTotp', 401, (t) => t.noAuth());

// POST /user/2fa/totp/enable
c.setup('completeTotp', 200, async (t, fx) => {
  const { accessToken } = await fx.session();
  const url = await fx.setupTotp(accessToken);
  t.bearer(accessToken);
  t.json({ totp: fx.totp(url) });
});
c.setup('completeTotp', 400, async (t, fx) => {
  t.bearer((await fx.session()).accessToken);
  t.json({ totp: '12' });
});
c.setup('completeTotp', 401, async (t, fx) => {
  const { accessToken } = await fx.session();
  const url = await fx.setupTotp(accessToken);
  t.bearer(accessToken);
  t.json({ totp: fx.wrongTotp(url) });
});
c.setup('completeTotp', 409, async (t, fx) => t.bearer((await fx.session()).accessToken));
c.setup('completeTotp', 429, async (t, fx) => {
  const { user, accessToken } = await fx.session();
  const url = await fx.setupTotp(accessToken);
  await fx.blockGuesses(user.id, 'totp');
  t.bearer(accessToken);
  t.json({ totp: fx.totp(url) });
});
c.setup('completeTotp', 500, async (t, fx) => {
  const { user, accessToken } = await fx.session();
  await fx.setupTotp(accessToken);
  await fx.db()('totp_factors').where({ user_id: user.id }).update({ pending_secret_enc: 'k1.not-a-sealed-secret' });
  t.bearer(accessToken);
});

// POST /user/2fa/totp/authenticate
c.setup('verifyTotp', 200, async (t, fx) => {
  const { user, otpauthUrl } = await fx.totpUser();
  t.bearer((await fx.partialLogin(user)).partialToken);
  t.json({ totp: fx.totp(otpauthUrl, 1) }); // the enabling code's step is used up
});
c.setup('verifyTotp', 400, async (t, fx) => {
  t.bearer((await fx.session()).accessToken);
  t.json({});
});
c.setup('verifyTotp', 401, async (t, fx) => {
  const { user, otpauthUrl } = await fx.totpUser();
  t.bearer((await fx.partialLogin(user)).partialToken);
  t.json({ totp: fx.wrongTotp(otpauthUrl) });
});
c.setup('verifyTotp', 409, async (t, fx) => t.bearer((await fx.session()).accessToken));
c.setup('verifyTotp', 429, async (t, fx) => {
  const { user, otpauthUrl } = await fx.totpUser();
  await fx.blockGuesses(user.id, 'totp');
  t.bearer((await fx.partialLogin(user)).partialToken);
  t.json({ totp: fx.totp(otpauthUrl, 1) });
});
// An active secret that does not decrypt.
c.setup('verifyTotp', 500, async (t, fx) => {
  const { user } = await fx.totpUser();
  await fx.db()('totp_factors').where({ user_id: user.id }).update({ secret_enc: 'k1.not-a-sealed-secret' });
  t.bearer((await fx.partialLogin(user)).partialToken);
});

// GET /user/2fa/totp/next-guess
c.setup('totpGuessWaitDuration', 200, async (t, fx) => t.bearer((await fx.totpUser()).accessToken));
c.setup('totpGuessWaitDuration', 401, (t) => t.noAuth());
c.setup('totpGuessWaitDuration', 409, async (t, fx) => t.bearer((await fx.session()).accessToken));

// DELETE /user/2fa/totp
c.setup('removeTotp', 200, async (t, fx) => {
  const { user, recoveryCodes } = await fx.totpUser();
  const { partialToken } = await fx.partialLogin(user);
  t.bearer((await fx.passWithRecoveryCode(partialToken, recoveryCodes[0])).sudoToken);
});
c.setup('removeTotp', 401, (t) => t.noAuth());
c.setup('removeTotp', 409, async (t, fx) => {
  const { accessToken, recoveryCodes } = await fx.emailOtpUser({ enable: true });
  t.bearer((await fx.passWithRecoveryCode(accessToken, recoveryCodes[0])).sudoToken);
});
