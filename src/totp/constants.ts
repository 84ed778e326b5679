/**
 * TOTP parameters (contract, "Behaviour": RFC 6238, SHA1, 6 digits, 30 s, ±1 step).
 *
 * Sources:
 * - RFC 6238 §4.1/§4.2: T = floor((unixTime − T0) / X), T0 = 0, X = 30 s default; §5.2: accept at
 *   most a small window of steps for clock drift and network delay ("at most one time step").
 * - RFC 6238 §1.2 / Appendix B: SHA1 is the default and the algorithm every authenticator supports.
 * - RFC 4226 §5.3: 6 digits minimum (Digit = 6 recommended by the Key Uri Format default).
 * - RFC 4226 §4 R6: the shared secret SHOULD be 160 bits (minimum 128).
 * - Key Uri Format (google/google-authenticator wiki): otpauth://totp/<issuer>:<account>?secret=<base32>&issuer=…&algorithm=SHA1&digits=6&period=30.
 */
export const TOTP_ALGORITHM = 'sha1' as const;
export const TOTP_URI_ALGORITHM = 'SHA1';
export const TOTP_DIGITS = 6;
export const TOTP_PERIOD_S = 30;
export const TOTP_T0_S = 0;
/** Steps accepted either side of the current one: t−1, t, t+1. */
export const TOTP_DRIFT_STEPS = 1;
/** 20 bytes = 160 bits from the CSPRNG. */
export const TOTP_SECRET_BYTES = 20;
