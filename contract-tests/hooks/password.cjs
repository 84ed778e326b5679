'use strict';
// Password reset and change (contract: User group #18-22).
const { contract } = require('../lib/kit.cjs');
const { ORIGIN_WITHOUT_TEMPLATES } = require('../lib/constants.cjs');

const c = contract(require('hooks'));
const NEW_PASSWORD = 'New-Password-42';

// The two "send a reset mail" operations behave alike (#18 code, #22 link).
for (const [operationId, path] of [['sendPasswordReset', '/user/password/reset/send'], ['postForgotPassword', '/v1/auth/forgot-password']]) {
  c.setup(operationId, 200, async (t, fx) => t.json({ email: (await fx.user()).email }));
  c.setup(operationId, 400, (t) => t.json({}));
  c.setup(operationId, 403, (t) => t.json({ email: 'someone@mailinator.com' }));
  c.setup(operationId, 429, async (t, fx) => {
    const { email } = await fx.user();
    await fx.expectStatus(200, 'POST', path, { body: { email } });
    t.json({ email });
  });
  c.setup(operationId, 500, async (t, fx) => {
    t.json({ email: (await fx.user()).email });
    t.query({ origin: ORIGIN_WITHOUT_TEMPLATES });
  });
}

/** A user with a reset code mailed to them. */
async function withResetCode(fx) {
  const user = await fx.user();
  await fx.expectStatus(200, 'POST', '/user/password/reset/send', { body: { email: user.email } });
  return { user, code: fx.codeFrom(await fx.nextMail(user.email)) };
}
const otherCode = (code) => (code === '000000' ? '000001' : '000000');

// POST /user/password/reset/validate
c.setup('validatePasswordReset', 200, async (t, fx) => {
  const { user, code } = await withResetCode(fx);
  t.json({ email: user.email, otp: code });
});
c.setup('validatePasswordReset', 400, (t) => t.json({ email: 'jane@example.com' }));
// The Dredd client's per-address budget used up: refused before the code is looked at.
c.setup('validatePasswordReset', 429, async (t, fx) => {
  await fx.exhaustAddressLimit('validatePasswordReset');
  t.after(() => fx.releaseAddressLimit('validatePasswordReset'));
});
c.setup('validatePasswordReset', 401, async (t, fx) => {
  const { user, code } = await withResetCode(fx);
  t.json({ email: user.email, otp: otherCode(code) });
});

// PUT /user/password/otp
c.setup('updatePasswordViaOtp', 200, async (t, fx) => {
  const { user, code } = await withResetCode(fx);
  t.json({ userEmail: user.email, otp: code, newPassword: NEW_PASSWORD });
});
// The password rule (checked in code, so the message can name it), with a valid code.
c.setup('updatePasswordViaOtp', 400, async (t, fx) => {
  const { user, code } = await withResetCode(fx);
  t.json({ userEmail: user.email, otp: code, newPassword: 'no-upper-case-9' });
});
c.setup('updatePasswordViaOtp', 429, async (t, fx) => {
  await fx.exhaustAddressLimit('updatePasswordViaOtp');
  t.after(() => fx.releaseAddressLimit('updatePasswordViaOtp'));
});
c.setup('updatePasswordViaOtp', 401, async (t, fx) => {
  const { user, code } = await withResetCode(fx);
  t.json({ userEmail: user.email, otp: otherCode(code), newPassword: NEW_PASSWORD });
});

// PUT /user/password/old-password (access token: the user has no 2FA)
c.setup('updatePasswordViaSudo', 200, async (t, fx) => {
  const { user, accessToken } = await fx.session();
  t.bearer(accessToken);
  t.json({ oldPassword: user.password, newPassword: NEW_PASSWORD });
});
c.setup('updatePasswordViaSudo', 400, async (t, fx) => {
  const { user, accessToken } = await fx.session();
  t.bearer(accessToken);
  t.json({ oldPassword: user.password, newPassword: 'no-digits-Here' });
});
c.setup('updatePasswordViaSudo', 401, async (t, fx) => {
  t.bearer((await fx.session()).accessToken);
  t.json({ oldPassword: 'Wrong-Password-1', newPassword: NEW_PASSWORD });
});
c.setup('updatePasswordViaSudo', 429, async (t, fx) => {
  const { user, accessToken } = await fx.session();
  await fx.blockGuesses(user.id, 'password');
  t.bearer(accessToken);
  t.json({ oldPassword: user.password, newPassword: NEW_PASSWORD });
});
c.setup('updatePasswordViaSudo', 500, async (t, fx) => {
  const { user, accessToken } = await fx.session();
  await fx.db()('users').where({ id: user.id }).update({ password_hash: null });
  t.bearer(accessToken);
  t.json({ oldPassword: user.password, newPassword: NEW_PASSWORD });
});
