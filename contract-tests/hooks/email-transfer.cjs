'use strict';
// Email address transfer (contract: User group #16-17).
const { contract } = require('../lib/kit.cjs');
const { ORIGIN_WITHOUT_TEMPLATES } = require('../lib/constants.cjs');

const c = contract(require('hooks'));

// POST /user/email/initiate
c.setup('initiatePutEmail', 200, async (t, fx) => {
  t.bearer((await fx.session()).accessToken);
  t.json({ email: fx.email() });
});
c.setup('initiatePutEmail', 400, (t) => t.json({ email: 'not an address' }));
c.setup('initiatePutEmail', 401, (t) => t.noAuth());
c.setup('initiatePutEmail', 403, async (t, fx) => {
  t.bearer((await fx.session()).accessToken);
  t.json({ email: 'someone@mailinator.com' });
});
c.setup('initiatePutEmail', 409, async (t, fx) => {
  const other = await fx.user();
  t.bearer((await fx.session()).accessToken);
  t.json({ email: other.email });
});
c.setup('initiatePutEmail', 429, async (t, fx) => {
  const { accessToken } = await fx.session();
  await fx.expectStatus(200, 'POST', '/user/email/initiate', { token: accessToken, body: { email: fx.email() } });
  t.bearer(accessToken);
  t.json({ email: fx.email() });
});
c.setup('initiatePutEmail', 500, async (t, fx) => {
  t.bearer((await fx.session()).accessToken);
  t.json({ email: fx.email() });
  t.query({ origin: ORIGIN_WITHOUT_TEMPLATES });
});

// PUT /user/email
async function initiated(fx) {
  const { accessToken } = await fx.session();
  const newEmail = fx.email();
  await fx.expectStatus(200, 'POST', '/user/email/initiate', { token: accessToken, body: { email: newEmail } });
  return { accessToken, newEmail, code: fx.codeFrom(await fx.nextMail(newEmail)) };
}
c.setup('putEmail', 200, async (t, fx) => {
  const { accessToken, code } = await initiated(fx);
  t.bearer(accessToken);
  t.json({ otp: code });
});
c.setup('putEmail', 400, (t) => t.json({}));
c.setup('putEmail', 401, async (t, fx) => {
  const { accessToken, code } = await initiated(fx);
  t.bearer(accessToken);
  t.json({ otp: code === '000000' ? '000001' : '000000' });
});
// The new address was taken by another account after the code was sent.
c.setup('putEmail', 409, async (t, fx) => {
  const { accessToken, newEmail, code } = await initiated(fx);
  await fx.user({ email: newEmail });
  t.bearer(accessToken);
  t.json({ otp: code });
});
