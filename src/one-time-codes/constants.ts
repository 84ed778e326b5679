/** Contract, "Email codes": 6 digits from a CSPRNG, valid 10 minutes, single use, burned after 5 wrong tries. */
export const CODE_LENGTH = 6;
export const CODE_TTL_MS = 10 * 60 * 1000;
export const MAX_FAILED_ATTEMPTS = 5;
/**
 * Wrong codes per account and purpose within a day, across resends. Burning a code after 5 tries
 * alone would allow 5 guesses a minute forever (a resend every 60 s); past this cap codes are
 * not checked (the answer stays OTP_INVALID_EXPIRED) until a day has passed since the last
 * counted failure. A right code resets it.
 */
export const MAX_FAILURES_PER_DAY = 10;
export const FAILURE_WINDOW_MS = 24 * 60 * 60 * 1000;

/** "A new mail to the same user/purpose only after 60 s." */
export const MAIL_INTERVAL_MS = 60 * 1000;

export type CodePurpose = 'email_otp_setup' | 'email_otp_challenge' | 'email_transfer' | 'password_reset';
