/** SESSION_MAX_AGE's default: a session older than 90 days must log in again, however active. */
export const DEFAULT_SESSION_MAX_AGE = '90d';
export const DEFAULT_SESSION_MAX_AGE_MS = 90 * 24 * 60 * 60 * 1000;

/**
 * How long after a rotation the rotated-away refresh token may still be presented without ending
 * its session (it gets 401 either way). The owner's own client races itself: two tabs or a
 * request retried after a lost response present the old token a moment after the rotation.
 * A thief replays it later than that, or the owner's next rotation does. 10 s, as Supabase
 * Auth's default refresh-token reuse interval; the OAuth 2.0 Security BCP (§4.14.2) asks only
 * that a reuse be detected.
 */
export const REFRESH_TOKEN_REUSE_GRACE_MS = 10_000;

/** Why a session ended (sessions.end_reason; also the security event's detail). */
export type SessionEndReason = 'logout' | 'ended_by_user' | 'password_changed' | 'refresh_token_reused' | 'account_disabled' | 'two_factor_reset';

/**
 * A sign-in from a device (user-agent family and network, src/sessions/device.ts) the account has
 * not used for this long is mailed to the owner: the span of the notice's text, and of Keycloak's
 * and Google's "new device" notices. Devices unused longer are swept.
 */
export const DEVICE_MEMORY_MS = 90 * 24 * 60 * 60 * 1000;
