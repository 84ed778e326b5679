/**
 * The browser test's page: plain WebAuthn calls (navigator.credentials) and fetch to the API on
 * the same origin, as a web app would make them. The base64url ⇄ ArrayBuffer conversion is done
 * by hand so the page does not depend on PublicKeyCredential.parse*FromJSON being present.
 */
export const PASSKEY_TEST_PAGE = `<!doctype html>
<meta charset="utf-8">
<title>passkey test page</title>
<script>
const toBytes = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4)), (c) => c.charCodeAt(0));
const toB64url = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer))).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
const descriptors = (list) => list && list.map((c) => ({ ...c, id: toBytes(c.id) }));

async function api(method, path, token, body) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = 'Bearer ' + token;
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.status, body: await response.json().catch(() => null) };
}

function registrationJSON(credential) {
  const r = credential.response;
  return {
    id: credential.id, rawId: toB64url(credential.rawId), type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment || undefined,
    clientExtensionResults: credential.getClientExtensionResults(),
    response: { clientDataJSON: toB64url(r.clientDataJSON), attestationObject: toB64url(r.attestationObject), transports: r.getTransports ? r.getTransports() : [] },
  };
}

function assertionJSON(credential) {
  const r = credential.response;
  return {
    id: credential.id, rawId: toB64url(credential.rawId), type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment || undefined,
    clientExtensionResults: credential.getClientExtensionResults(),
    response: {
      clientDataJSON: toB64url(r.clientDataJSON), authenticatorData: toB64url(r.authenticatorData), signature: toB64url(r.signature),
      ...(r.userHandle ? { userHandle: toB64url(r.userHandle) } : {}),
    },
  };
}

async function getAssertion(options) {
  const publicKey = { ...options, challenge: toBytes(options.challenge), allowCredentials: descriptors(options.allowCredentials) };
  return assertionJSON(await navigator.credentials.get({ publicKey }));
}

/** setup → navigator.credentials.create → enable */
window.registerPasskey = async (token, name) => {
  const setup = await api('POST', '/user/2fa/webauthn/setup', token, {});
  if (setup.status !== 200) return setup;
  const o = setup.body.options;
  const publicKey = { ...o, challenge: toBytes(o.challenge), user: { ...o.user, id: toBytes(o.user.id) }, excludeCredentials: descriptors(o.excludeCredentials) };
  const credential = await navigator.credentials.create({ publicKey });
  return api('POST', '/user/2fa/webauthn/enable', token, { credential: registrationJSON(credential), name });
};

/** options → navigator.credentials.get (discoverable) → passwordless login */
window.signInWithPasskey = async () => {
  const options = await api('POST', '/auth/passkey/options', undefined, {});
  if (options.status !== 200) return options;
  return api('POST', '/auth/passkey/login', undefined, { credential: await getAssertion(options.body.options) });
};

/** challenge → navigator.credentials.get → authenticate (the second factor of a password login) */
window.passkeySecondFactor = async (partialToken) => {
  const challenge = await api('POST', '/user/2fa/webauthn/challenge', partialToken, {});
  if (challenge.status !== 200) return challenge;
  return api('POST', '/user/2fa/webauthn/authenticate', partialToken, { credential: await getAssertion(challenge.body.options) });
};
</script>
<p>passkey test page</p>
`;
