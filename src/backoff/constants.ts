/** Contract, "Guess backoff": after the 3rd consecutive failure each further guess waits 2^(n-3) s, capped at 15 min. */
export const FREE_FAILURES = 3;
export const MAX_WAIT_MS = 15 * 60 * 1000;

export type GuessFactor = 'password' | 'totp' | 'webauthn' | 'recovery_code' | EmailedCodeFactor;

/** Wrong emailed codes, per account and purpose (src/one-time-codes: a daily cap, not a wait). */
export type EmailedCodeFactor = 'code:email_otp_setup' | 'code:email_otp_challenge' | 'code:email_transfer' | 'code:password_reset';

/** When the next guess is allowed after `failures` consecutive failures, the last at `lastFailureAt`. */
export function nextGuessAt(failures: number, lastFailureAt: Date | null): number {
  if (failures < FREE_FAILURES || !lastFailureAt) return 0;
  return lastFailureAt.getTime() + Math.min(2 ** (failures - FREE_FAILURES) * 1000, MAX_WAIT_MS);
}
