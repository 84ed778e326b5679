import { defineErrors } from '../http/errors.js';

/** Email OTP's codes with their statuses (contract rows 2–7). */
export const emailOtpErrors = defineErrors({
  OTP_INVALID_EXPIRED: 401,
  EMAIL_OTP_UNINITIALIZED: 409,
  EMAIL_OTP_INACTIVE: 409,
  EMAIL_OTP_ALREADY_INACTIVE: 409,
  TOO_MANY_OTP_EMAILS: 429,
});
