'use strict';
// Browser clients (contract: "Browser clients"): cookie mode and the refresh cookie's Origin check.
const { contract } = require('../lib/kit.cjs');

const c = contract(require('hooks'));

/** The refresh token in the cookie cookie mode sets, as a browser sends it back. */
function cookieOnly(t, refreshToken) {
  t.noAuth();
  t.request.headers.Cookie = `sg_refresh=${refreshToken}`;
}

// Cookie mode: 204, the refresh token only in Set-Cookie.
c.setup('login', 204, async (t, fx) => {
  const user = await fx.user();
  t.query({ cookie: 'true' });
  t.json({ username: user.email, password: user.password });
});
c.setup('getRefreshToken', 204, async (t, fx) => {
  t.query({ cookie: 'true' });
  t.bearer(await fx.login(await fx.user()));
});

// The cookie without an Origin header (what a CSRF attempt that hides its origin looks like): 403.
for (const operationId of ['getAccessToken', 'getRefreshToken', 'logout', 'validateRefreshToken']) {
  c.setup(operationId, 403, async (t, fx) => cookieOnly(t, await fx.login(await fx.user())));
}
