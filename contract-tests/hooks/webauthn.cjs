'use strict';
// Passkeys (contract: "Passkeys (WebAuthn)"): the second factor and passwordless sign-in. The
// requests are made by the software authenticator of test/support/webauthn.ts (via fixtures).
const { contract } = require('../lib/kit.cjs');

const c = contract(require('hooks'));

/** Points the transaction at another passkey id (Dredd sends the parameter's example). */
const credentialPath = (t, id) => {
  t.fullPath = `/user/2fa/webauthn/credentials/${id}`;
  t.request.uri = t.fullPath;
};

// POST /user/2fa/webauthn/setup
c.setup('initiateWebauthn', 200, async (t, fx) => t.bearer((await fx.session()).accessToken));
c.setup('initiateWebauthn', 400, async (t, fx) => {
  t.bearer((await fx.session()).accessToken);
  t.json({ unexpected: true });
});
c.setup('initiateWebauthn', 401, (t) => t.noAuth());

// POST /user/2fa/webauthn/enable
c.setup('completeWebauthn', 200, async (t, fx) => {
  const { accessToken } = await fx.session();
  t.bearer(accessToken);
  t.json({ credential: fx.softAuthenticator().register(await fx.passkeySetup(accessToken)), name: 'Laptop' });
});
c.setup('completeWebauthn', 400, async (t, fx) => {
  t.bearer((await fx.session()).accessToken);
  t.json({ credential: { id: 'x' } });
});
// Made on another origin: a phishing page's registration.
c.setup('completeWebauthn', 401, async (t, fx) => {
  const { accessToken } = await fx.session();
  t.bearer(accessToken);
  t.json({ credential: fx.softAuthenticator('https://evil.example').register(await fx.passkeySetup(accessToken)) });
});
// No setup first: the example body meets no live registration challenge.
c.setup('completeWebauthn', 409, async (t, fx) => t.bearer((await fx.session()).accessToken));

// POST /user/2fa/webauthn/challenge
c.setup('initiateWebauthnAuthentication', 200, async (t, fx) => t.bearer((await fx.passkeyUser()).accessToken));
c.setup('initiateWebauthnAuthentication', 400, async (t, fx) => {
  t.bearer((await fx.passkeyUser()).accessToken);
  t.json({ unexpected: true });
});
c.setup('initiateWebauthnAuthentication', 401, (t) => t.noAuth());
c.setup('initiateWebauthnAuthentication', 409, async (t, fx) => t.bearer((await fx.session()).accessToken));

// POST /user/2fa/webauthn/authenticate
c.setup('verifyWebauthn', 200, async (t, fx) => {
  const { user, authenticator } = await fx.passkeyUser();
  const { partialToken } = await fx.partialLogin(user);
  t.bearer(partialToken);
  t.json({ credential: authenticator.assert(await fx.passkeyChallenge(partialToken)) });
});
c.setup('verifyWebauthn', 400, async (t, fx) => {
  t.bearer((await fx.passkeyUser()).accessToken);
  t.json({});
});
c.setup('verifyWebauthn', 401, async (t, fx) => {
  const { user, authenticator } = await fx.passkeyUser();
  const { partialToken } = await fx.partialLogin(user);
  t.bearer(partialToken);
  t.json({ credential: authenticator.assert(await fx.passkeyChallenge(partialToken), { origin: 'https://evil.example' }) });
});
c.setup('verifyWebauthn', 409, async (t, fx) => t.bearer((await fx.session()).accessToken));
c.setup('verifyWebauthn', 429, async (t, fx) => {
  const { user, authenticator } = await fx.passkeyUser();
  const { partialToken } = await fx.partialLogin(user);
  const options = await fx.passkeyChallenge(partialToken);
  await fx.blockGuesses(user.id, 'webauthn');
  t.bearer(partialToken);
  t.json({ credential: authenticator.assert(options) });
});

// GET /user/2fa/webauthn/credentials
c.setup('listWebauthnCredentials', 200, async (t, fx) => t.bearer((await fx.passkeyUser()).accessToken));
c.setup('listWebauthnCredentials', 401, (t) => t.noAuth());

// DELETE /user/2fa/webauthn/credentials/{id}
c.setup('removeWebauthnCredential', 200, async (t, fx) => {
  const { accessToken, authenticator } = await fx.passkeyUser();
  const { sudoToken } = await fx.passWithPasskey(accessToken, authenticator);
  const [credential] = (await fetch(`${fx.baseUrl}/user/2fa/webauthn/credentials`, { headers: { Authorization: `Bearer ${accessToken}` } }).then((r) => r.json()));
  t.bearer(sudoToken);
  credentialPath(t, credential.id);
});
c.setup('removeWebauthnCredential', 400, async (t, fx) => {
  const { accessToken, authenticator } = await fx.passkeyUser();
  t.bearer((await fx.passWithPasskey(accessToken, authenticator)).sudoToken);
  credentialPath(t, 'not-a-uuid');
});
c.setup('removeWebauthnCredential', 401, (t) => t.noAuth());
// The example id belongs to nobody.
c.setup('removeWebauthnCredential', 404, async (t, fx) => {
  const { accessToken, authenticator } = await fx.passkeyUser();
  t.bearer((await fx.passWithPasskey(accessToken, authenticator)).sudoToken);
});

// POST /auth/passkey/options
c.setup('initiatePasskeyLogin', 200, () => {});
c.setup('initiatePasskeyLogin', 400, (t) => t.json({ unexpected: true }));
c.setup('initiatePasskeyLogin', 429, async (t, fx) => {
  await fx.exhaustAddressLimit('initiatePasskeyLogin');
  t.after(() => fx.releaseAddressLimit('initiatePasskeyLogin'));
});

// POST /auth/passkey/login
c.setup('passkeyLogin', 200, async (t, fx) => {
  const { authenticator } = await fx.passkeyUser();
  t.json({ credential: authenticator.assert(await fx.passkeyLoginOptions()) });
});
c.setup('passkeyLogin', 400, (t) => t.json({ credential: { id: 'x' } }));
// The example assertion names no stored challenge or passkey.
c.setup('passkeyLogin', 401, () => {});
c.setup('passkeyLogin', 429, async (t, fx) => {
  await fx.exhaustAddressLimit('passkeyLogin');
  t.after(() => fx.releaseAddressLimit('passkeyLogin'));
});
