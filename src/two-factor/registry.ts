import { emailOtpMethod } from '../email-otp/method.js';
import { recoveryCodeMethod } from '../recovery-codes/method.js';
import { totpMethod } from '../totp/method.js';
import { webauthnMethod } from '../webauthn/method.js';
import type { SecondFactor, TwoFactorMethod } from './second-factor.js';

/**
 * Every second-factor method, keyed by the generated `methods` enum of 2FA_REQUIRED: a method
 * added to the spec but not here fails the type check (it would otherwise silently skip 2FA).
 * The order is the order of `methods` in 2FA_REQUIRED and of the counter locks of a removal
 * (recovery codes last: a recovery-code guess takes its counter, then code rows).
 */
export const SECOND_FACTORS = {
  totp: totpMethod,
  emailOtp: emailOtpMethod,
  webauthn: webauthnMethod,
  recoveryCode: recoveryCodeMethod,
} as const satisfies Record<TwoFactorMethod, SecondFactor<any>>;

export const SECOND_FACTOR_LIST = Object.entries(SECOND_FACTORS) as [TwoFactorMethod, SecondFactor][];
