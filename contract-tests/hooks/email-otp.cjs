'use strict';
// Email OTP (contract: User group #2-7). Codes are read from the mails the service writes.
const { contract } = require('../lib/kit.cjs');
const { ORIGIN_WITHOUT_TEMPLATES } = require('../lib/constants.cjs');

const c = contract(require('hooks'));

// POST /user/2fa/email-otp/setup
c.setup('initiateEmailOtp', 200, async (t, fx) => {
  const { user, accessToken } = await fx.session();
  t.bearer(accessToken);
  t.json({ email: user.email });
});
c.setup('initiateEmailOtp', 400, (t) => t.json({}));
c.setup('initiateEmailOtp', 401, (t) => t.noAuth());
c.setup('initiateEmailOtp', 403, async (t, fx) => {
  t.bearer((await fx.session()).accessToken);
  t.json({ email: 'someone@mailinator.com' });
});
c.setup('initiateEmailOtp', 429, async (t, fx) => {
  const { user, accessToken } = await fx.session();
  await fx.expectStatus(200, 'POST', '/user/2fa/email-otp/setup', { token: accessToken, body: { email: user.email } });
  t.bearer(accessToken);
  t.json({ email: user.email });
});
c.setup('initiateEmailOtp', 500, async (t, fx) => {
  const { user, accessToken } = await fx.session();
  t.bearer(accessToken);
  t.json({ email: user.email });
  t.query({ origin: ORIGIN_WITHOUT_TEMPLATES });
});

// POST /user/2fa/email-otp/enable
c.setup('completeEmailOtp', 200, async (t, fx) => {
  const { user, accessToken } = await fx.emailOtpUser({ enable: false });
  t.bearer(accessToken);
  t.json({ otp: fx.codeFrom(await fx.nextMail(user.email)) });
});
c.setup('completeEmailOtp', 400, (t) => t.json({ otp: 'abcdef' }));
c.setup('completeEmailOtp', 401, async (t, fx) => {
  const { user, accessToken } = await fx.emailOtpUser({ enable: false });
  const code = fx.codeFrom(await fx.nextMail(user.email));
  t.bearer(accessToken);
  t.json({ otp: code === '000000' ? '000001' : '000000' });
});
c.setup('completeEmailOtp', 409, async (t, fx) => t.bearer((await fx.session()).accessToken));

// POST /user/2fa/email-otp/challenge (works once set up, even before enabled)
c.setup('initiateEmailOtpAuthentication', 200, async (t, fx) => {
  const { accessToken } = await fx.emailOtpUser({ enable: false });
  await fx.releaseMailThrottle();
  t.bearer(accessToken);
});
c.setup('initiateEmailOtpAuthentication', 400, (t) => t.json({ unexpected: true }));
c.setup('initiateEmailOtpAuthentication', 401, (t) => t.noAuth());
c.setup('initiateEmailOtpAuthentication', 409, async (t, fx) => t.bearer((await fx.session()).accessToken));
// Right after the setup mail: the same purpose, within 60 s.
c.setup('initiateEmailOtpAuthentication', 429, async (t, fx) => t.bearer((await fx.emailOtpUser({ enable: false })).accessToken));
c.setup('initiateEmailOtpAuthentication', 500, async (t, fx) => {
  const { accessToken } = await fx.emailOtpUser({ enable: false });
  await fx.releaseMailThrottle();
  t.bearer(accessToken);
  t.query({ origin: ORIGIN_WITHOUT_TEMPLATES });
});

// POST /user/2fa/email-otp/authenticate
c.setup('verifyEmailOtpAuthentication', 200, async (t, fx) => {
  const { user } = await fx.emailOtpUser({ enable: true });
  const { partialToken } = await fx.partialLogin(user);
  await fx.releaseMailThrottle();
  await fx.expectStatus(200, 'POST', '/user/2fa/email-otp/challenge', { token: partialToken, body: {} });
  t.bearer(partialToken);
  t.json({ otp: fx.codeFrom(await fx.nextMail(user.email)) });
});
c.setup('verifyEmailOtpAuthentication', 400, (t) => t.json({ otp: '1234567' }));
c.setup('verifyEmailOtpAuthentication', 401, async (t, fx) => {
  const { user } = await fx.emailOtpUser({ enable: true });
  const { partialToken } = await fx.partialLogin(user);
  await fx.releaseMailThrottle();
  await fx.expectStatus(200, 'POST', '/user/2fa/email-otp/challenge', { token: partialToken, body: {} });
  const code = fx.codeFrom(await fx.nextMail(user.email));
  t.bearer(partialToken);
  t.json({ otp: code === '000000' ? '000001' : '000000' });
});
// Set up but not yet enabled.
c.setup('verifyEmailOtpAuthentication', 409, async (t, fx) => t.bearer((await fx.emailOtpUser({ enable: false })).accessToken));

// GET /user/2fa/email-otp/next-email
c.setup('newEmailOtpWaitDuration', 200, async (t, fx) => t.bearer((await fx.emailOtpUser({ enable: false })).accessToken));
c.setup('newEmailOtpWaitDuration', 401, (t) => t.noAuth());
c.setup('newEmailOtpWaitDuration', 409, async (t, fx) => t.bearer((await fx.session()).accessToken));

// DELETE /user/2fa/email-otp
c.setup('removeEmailOtp', 200, async (t, fx) => {
  const { accessToken, recoveryCodes } = await fx.emailOtpUser({ enable: true });
  t.bearer((await fx.passWithRecoveryCode(accessToken, recoveryCodes[0])).sudoToken);
});
c.setup('removeEmailOtp', 401, (t) => t.noAuth());
c.setup('removeEmailOtp', 409, async (t, fx) => {
  const { accessToken, recoveryCodes } = await fx.totpUser();
  t.bearer((await fx.passWithRecoveryCode(accessToken, recoveryCodes[0])).sudoToken);
});
