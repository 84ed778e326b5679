/**
 * Passkey (WebAuthn) parameters.
 *
 * Sources:
 * - WebAuthn Level 3 §13.4.3: challenges at least 16 random bytes (@simplewebauthn makes 32),
 *   single use, kept by the relying party; §5.4.1/§5.5 `timeout`: recommended 300000 ms (5 min)
 *   when user verification may be asked for.
 * - §6.1.1 signature counter: a non-zero counter not above the stored one may mean a cloned
 *   authenticator; the relying party decides (we refuse).
 * - §5.4.3 user handle: at most 64 bytes, no personal data: the user's random UUID (16 bytes).
 */
export const CHALLENGE_TTL_MS = 5 * 60 * 1000;
export const DEFAULT_CREDENTIAL_NAME = 'Passkey';
