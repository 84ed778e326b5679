import {
  generateAuthenticationOptions, generateRegistrationOptions, verifyAuthenticationResponse, verifyRegistrationResponse,
  type AuthenticationResponseJSON, type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type {
  WebauthnAuthenticationResponse, WebauthnCreationOptions, WebauthnCredentialInfo, WebauthnRegistrationResponse, WebauthnRequestOptions,
} from '../../generated/types.gen.js';
import type { Deps } from '../deps.js';
import type { Db, Tx } from '../db/knex.js';
import { withTx } from '../db/tx.js';
import { guardGuess, guessWaitSeconds } from '../backoff/guard.js';
import { issueSessionTokens, type Caller } from '../tokens/service.js';
import { tokenErrors } from '../tokens/errors.js';
import { recordAndNotify } from '../security-events/notices.js';
import { afterMethodRemoved, lockForMethodRemoval, recoveryCodesForNewMethod } from '../two-factor/methods.js';
import { findUserById } from '../users/queries.js';
import { CHALLENGE_TTL_MS, DEFAULT_CREDENTIAL_NAME } from './constants.js';
import { webauthnErrors } from './errors.js';
import {
  consumeChallenge, deleteCredential, deleteExpiredChallenges, findCredentialByCredentialId, findCredentials, hasLiveChallenge, insertChallenge,
  insertCredential, recordCredentialUse, summarizeCredentials, type ChallengePurpose, type StoredCredential,
} from './queries.js';
import { acceptedOrigins, challengeOf, hashChallenge, userHandleBase64Url, userHandleOf } from './relying-party.js';

type WebauthnDeps = Pick<Deps, 'db' | 'clock' | 'config' | 'keys' | 'mail' | 'log'>;

// Options and responses: the spec's schemas describe the WebAuthn JSON forms @simplewebauthn
// reads and writes, so the generated and the library's types are converted by a cast at the edge.

const invalid = () => webauthnErrors('WEBAUTHN_INVALID');
const tooManyChecks = (retryAfter: number) => webauthnErrors('TOO_MANY_WEBAUTHN_CHECKS', { retryAfter });

/** Stores the challenge of fresh options (single use, 5 minutes) and sweeps expired ones. */
async function rememberChallenge(deps: WebauthnDeps, challenge: string, purpose: ChallengePurpose, userId: string | null): Promise<void> {
  const now = deps.clock.now();
  await deleteExpiredChallenges(deps.db, new Date(now));
  await insertChallenge(deps.db, { challengeHash: hashChallenge(challenge), userId, purpose, expiresAt: new Date(now + CHALLENGE_TTL_MS) });
}

/** Claims the challenge (guarded UPDATE); false = unknown, expired, used, another purpose's or another user's. */
async function claimChallenge(db: Db | Tx, deps: WebauthnDeps, challenge: string | undefined, purpose: ChallengePurpose, userId: string | null): Promise<boolean> {
  return challenge !== undefined && consumeChallenge(db, hashChallenge(challenge), purpose, userId, new Date(deps.clock.now()));
}

/**
 * Verifies an assertion with @simplewebauthn (origin, RP ID hash, user presence and verification,
 * signature, counter against the stored one); undefined when it does not verify. About 2.5 ms of
 * ECDSA here, so callers run it before their transaction, holding no connection.
 */
async function verifyAssertion(deps: WebauthnDeps, response: WebauthnAuthenticationResponse, challenge: string, stored: StoredCredential, requireUserVerification: boolean) {
  try {
    const result = await verifyAuthenticationResponse({
      // The spec's schema is the JSON form @simplewebauthn reads; the validator checked it.
      response: response as unknown as AuthenticationResponseJSON,
      expectedChallenge: challenge,
      expectedOrigin: acceptedOrigins(deps),
      expectedRPID: deps.config.webauthnRpId,
      credential: { id: stored.credentialId, publicKey: new Uint8Array(stored.publicKey), counter: stored.signCount, transports: stored.transports },
      requireUserVerification,
    });
    return result.verified ? result.authenticationInfo : undefined;
  } catch {
    // Malformed data, wrong origin or RP, bad signature, counter not increasing: all one answer.
    return undefined;
  }
}

/** POST /user/2fa/webauthn/setup: creation options for a new passkey; the user's passkeys are excluded. */
export async function initiateWebauthn(deps: WebauthnDeps, userId: string): Promise<WebauthnCreationOptions> {
  const user = await findUserById(deps.db, userId);
  if (!user) throw tokenErrors('INVALID_TOKEN');
  const existing = await findCredentials(deps.db, userId);
  const options = await generateRegistrationOptions({
    rpName: deps.config.webauthnRpName,
    rpID: deps.config.webauthnRpId,
    userName: user.email,
    userDisplayName: user.email,
    userID: userHandleOf(userId),
    timeout: CHALLENGE_TTL_MS,
    attestationType: 'none',
    excludeCredentials: existing.map((c) => ({ id: c.credentialId, transports: c.transports })),
    // Discoverable when the authenticator can (passwordless sign-in needs it), verified when it can.
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
  });
  await rememberChallenge(deps, options.challenge, 'registration', userId);
  return options as WebauthnCreationOptions;
}

/**
 * POST /user/2fa/webauthn/enable: the registration response for a live challenge of this user
 * becomes a stored passkey, in one transaction with the first-method rule. The challenge is
 * used up even when the response does not verify.
 */
export async function completeWebauthn(deps: WebauthnDeps, userId: string, response: WebauthnRegistrationResponse, name: string | undefined): Promise<string[]> {
  if (!(await hasLiveChallenge(deps.db, userId, 'registration', new Date(deps.clock.now())))) throw webauthnErrors('WEBAUTHN_UNINITIALIZED');
  const challenge = challengeOf(response.response.clientDataJSON);
  // Verified before the transaction; the challenge is claimed in it, so a replay still fails.
  const info = challenge ? await verifyRegistration(deps, response, challenge) : undefined;
  const recoveryCodes = await withTx(deps.db, async (trx) => {
    if (!(await claimChallenge(trx, deps, challenge, 'registration', userId))) return undefined;
    if (!info || (await findCredentialByCredentialId(trx, info.credential.id))) return undefined;
    const codes = await recoveryCodesForNewMethod(trx, deps, userId);
    const stored = await insertCredential(trx, {
      userId,
      credentialId: info.credential.id,
      publicKey: Buffer.from(info.credential.publicKey),
      signCount: info.credential.counter,
      transports: response.response.transports ?? [],
      deviceType: info.credentialDeviceType,
      backedUp: info.credentialBackedUp,
      name: name?.trim() || DEFAULT_CREDENTIAL_NAME,
      createdAt: new Date(deps.clock.now()),
    });
    // Registered meanwhile by a racing request: roll back (recovery codes included).
    if (!stored) throw invalid();
    await recordAndNotify(trx, deps, { userId, type: 'method_enabled', detail: { method: 'webauthn' } });
    return codes;
  });
  if (!recoveryCodes) throw invalid();
  return recoveryCodes;
}

async function verifyRegistration(deps: WebauthnDeps, response: WebauthnRegistrationResponse, challenge: string) {
  try {
    const result = await verifyRegistrationResponse({
      response: response as unknown as RegistrationResponseJSON,
      expectedChallenge: challenge,
      expectedOrigin: acceptedOrigins(deps),
      expectedRPID: deps.config.webauthnRpId,
      requireUserVerification: false,
    });
    return result.verified ? result.registrationInfo : undefined;
  } catch {
    return undefined;
  }
}

/** POST /user/2fa/webauthn/challenge: request options for the user's passkeys. */
export async function initiateWebauthnAuthentication(deps: WebauthnDeps, userId: string): Promise<WebauthnRequestOptions> {
  const credentials = await findCredentials(deps.db, userId);
  if (!credentials.length) throw webauthnErrors('WEBAUTHN_UNINITIALIZED');
  const options = await generateAuthenticationOptions({
    rpID: deps.config.webauthnRpId,
    allowCredentials: credentials.map((c) => ({ id: c.credentialId, transports: c.transports })),
    userVerification: 'preferred',
    timeout: CHALLENGE_TTL_MS,
  });
  await rememberChallenge(deps, options.challenge, 'authentication', userId);
  return options as WebauthnRequestOptions;
}

/**
 * POST /user/2fa/webauthn/authenticate: login second factor or step-up. The signature is checked
 * first, holding no connection (skipped while the account is in backoff, so an early check is
 * not evaluated); then, under the account's passkey guess counter, one transaction claims the
 * challenge (single use, also for a failed check), advances the sign counter by a guarded UPDATE
 * and issues the three tokens.
 */
export async function verifyWebauthn(deps: WebauthnDeps, caller: Caller, response: WebauthnAuthenticationResponse) {
  const { userId } = caller;
  if (!(await summarizeCredentials(deps.db, userId)).count) throw webauthnErrors('WEBAUTHN_UNINITIALIZED');
  const challenge = challengeOf(response.response.clientDataJSON);
  const stored = await findCredentialByCredentialId(deps.db, response.id);
  const inBackoff = (await guessWaitSeconds(deps.db, deps.clock, userId, 'webauthn')) > 0;
  const info = !inBackoff && challenge && stored?.userId === userId ? await verifyAssertion(deps, response, challenge, stored, false) : undefined;
  // guardGuess re-checks the backoff under the counter lock (429 before anything else).
  const tokens = await guardGuess(deps.db, deps, { userId, factor: 'webauthn', tooMany: tooManyChecks }, async (trx) => {
    if (!(await claimChallenge(trx, deps, challenge, 'authentication', userId))) return undefined;
    if (!info || !stored || !(await recordCredentialUse(trx, stored.id, info.newCounter, info.credentialBackedUp, new Date(deps.clock.now())))) return undefined;
    return issueSessionTokens(trx, deps, caller, 'webauthn');
  });
  if (!tokens) throw invalid();
  return tokens;
}

/** POST /auth/passkey/options: options for a discoverable passkey, user verification required. */
export async function initiatePasskeyLogin(deps: WebauthnDeps): Promise<WebauthnRequestOptions> {
  const options = await generateAuthenticationOptions({ rpID: deps.config.webauthnRpId, userVerification: 'required', timeout: CHALLENGE_TTL_MS });
  await rememberChallenge(deps, options.challenge, 'passwordless', null);
  return options as WebauthnRequestOptions;
}

/**
 * POST /auth/passkey/login: a user-verified assertion of a discoverable passkey is two factors
 * by itself (something held, something known or been). Every failure is one 401, and the
 * challenge is used up by any attempt on it.
 */
export async function passkeyLogin(deps: WebauthnDeps, response: WebauthnAuthenticationResponse) {
  const challenge = challengeOf(response.response.clientDataJSON);
  const stored = await findCredentialByCredentialId(deps.db, response.id);
  // The user handle the authenticator returns must name the passkey's owner.
  const owned = stored !== undefined && response.response.userHandle === userHandleBase64Url(stored.userId);
  const info = challenge && owned ? await verifyAssertion(deps, response, challenge, stored, true) : undefined;
  const tokens = await withTx(deps.db, async (trx) => {
    if (!(await claimChallenge(trx, deps, challenge, 'passwordless', null))) return undefined;
    if (!info || !stored || !(await recordCredentialUse(trx, stored.id, info.newCounter, info.credentialBackedUp, new Date(deps.clock.now())))) return undefined;
    const user = await findUserById(trx, stored.userId);
    // A disabled account gets the one answer of every failure.
    if (!user || user.disabledAt) return undefined;
    return issueSessionTokens(trx, deps, { userId: user.id, passwordChangedAt: user.passwordChangedAt.getTime() }, 'passkey');
  });
  if (!tokens) throw invalid();
  return tokens;
}

/** GET /user/2fa/webauthn/credentials. */
export async function listWebauthnCredentials(deps: WebauthnDeps, userId: string): Promise<WebauthnCredentialInfo[]> {
  return (await findCredentials(deps.db, userId)).map((c) => ({
    id: c.id,
    name: c.name,
    createdAt: c.createdAt.toISOString(),
    lastUsedAt: c.lastUsedAt ? c.lastUsedAt.toISOString() : null,
    backedUp: c.backedUp,
    transports: c.transports,
  }));
}

/** DELETE /user/2fa/webauthn/credentials/{id}: the last passkey of the last method takes 2FA with it. */
export async function removeWebauthnCredential(deps: WebauthnDeps, userId: string, id: string): Promise<void> {
  await withTx(deps.db, async (trx) => {
    await lockForMethodRemoval(trx, userId);
    if (!(await deleteCredential(trx, userId, id))) throw webauthnErrors('WEBAUTHN_CREDENTIAL_NOT_FOUND');
    await afterMethodRemoved(trx, userId);
    await recordAndNotify(trx, deps, { userId, type: 'method_removed', detail: { method: 'webauthn' } });
  });
}
