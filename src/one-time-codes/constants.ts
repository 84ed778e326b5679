/** Contract, "Email codes": 6 digits from a CSPRNG, valid 10 minutes, single use, burned after 5 wrong tries. */
export const CODE_LENGTH = 6;
export const CODE_TTL_MS = 10 * 60 * 1000;
export const MAX_FAILED_ATTEMPTS = 5;
/** "A new mail to the same user/purpose only after 60 s." */
export const MAIL_INTERVAL_MS = 60 * 1000;

export type CodePurpose = 'email_otp_setup' | 'email_otp_challenge' | 'email_transfer' | 'password_reset';
