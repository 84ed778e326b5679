'use strict';
// Authentication group (contract: "Authentication group"). One setup per documented status.
const { contract } = require('../lib/kit.cjs');

const c = contract(require('hooks'));

// POST /auth/login
c.setup('login', 200, async (t, fx) => {
  const user = await fx.user();
  t.json({ username: user.email, password: user.password });
});
c.setup('login', 400, (t) => t.json({ username: 'jane@example.com' }));
// The richer of the two 401 bodies (the oneOf's second branch): right password, 2FA on.
c.setup('login', 401, async (t, fx) => {
  const { user } = await fx.totpUser();
  t.json({ username: user.email, password: user.password });
});
c.setup('login', 429, async (t, fx) => {
  const user = await fx.user();
  await fx.blockGuesses(user.id, 'password');
  t.json({ username: user.email, password: user.password });
});
c.setup('login', 500, async (t, fx) => {
  const user = await fx.user();
  await fx.db()('users').where({ id: user.id }).update({ password_hash: null });
  t.json({ username: user.email, password: user.password });
});

// Refresh-token operations: a fresh login each (rotation and logout consume the token).
for (const operationId of ['getAccessToken', 'getRefreshToken', 'validateRefreshToken']) {
  c.setup(operationId, 200, async (t, fx) => t.bearer(await fx.login(await fx.user())));
  c.setup(operationId, 401, (t) => t.noAuth());
}
c.setup('logout', 204, async (t, fx) => t.bearer(await fx.login(await fx.user())));
// An already revoked token: what the official client sees on a second logout.
c.setup('logout', 401, async (t, fx) => {
  const refreshToken = await fx.login(await fx.user());
  await fx.expectStatus(204, 'POST', '/auth/logout', { token: refreshToken });
  t.bearer(refreshToken);
});

c.setup('validateAccessToken', 200, async (t, fx) => t.bearer((await fx.session()).accessToken));
// A partial token is of a kind this endpoint does not take: INVALID_TOKEN.
c.setup('validateAccessToken', 401, async (t, fx) => {
  const { user } = await fx.totpUser();
  t.bearer((await fx.partialLogin(user)).partialToken);
});
