'use strict';
// Sessions and security events (contract: "Sessions and security events (turn 2)").
const { contract } = require('../lib/kit.cjs');

const c = contract(require('hooks'));

/** Points the transaction at another path (the spec's example id names no session). */
function setPath(t, path) {
  t.fullPath = path;
  t.request.uri = path;
}

/** The id of the session an access token belongs to, as GET /user/sessions marks it. */
async function currentSessionId(fx, accessToken) {
  const sessions = (await fx.expectStatus(200, 'GET', '/user/sessions', { token: accessToken })).json();
  return sessions.find((s) => s.current).id;
}

c.setup('listSessions', 200, async (t, fx) => t.bearer((await fx.session()).accessToken));
c.setup('listSessions', 401, (t) => t.noAuth());

c.setup('endOtherSessions', 200, async (t, fx) => {
  const { user, accessToken } = await fx.session();
  await fx.login(user); // another session to end
  t.bearer(accessToken);
});
c.setup('endOtherSessions', 401, (t) => t.noAuth());

c.setup('endSession', 200, async (t, fx) => {
  const { accessToken } = await fx.session();
  setPath(t, `/user/sessions/${await currentSessionId(fx, accessToken)}`);
  t.bearer(accessToken);
});
c.setup('endSession', 400, async (t, fx) => {
  setPath(t, '/user/sessions/not-a-uuid');
  t.bearer((await fx.session()).accessToken);
});
c.setup('endSession', 401, (t) => t.noAuth());
// The example id: no session of this user (of anyone's) has it.
c.setup('endSession', 404, async (t, fx) => t.bearer((await fx.session()).accessToken));

c.setup('listSecurityEvents', 200, async (t, fx) => {
  t.query({ limit: '20' });
  const url = new URL(t.fullPath, 'http://placeholder');
  url.searchParams.delete('before'); // the newest page: the fresh login's event
  setPath(t, url.pathname + url.search);
  t.bearer((await fx.session()).accessToken);
});
c.setup('listSecurityEvents', 400, async (t, fx) => {
  t.query({ before: 'not-a-cursor' });
  t.bearer((await fx.session()).accessToken);
});
c.setup('listSecurityEvents', 401, (t) => t.noAuth());
