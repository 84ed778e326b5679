import { ApiError, defineErrors } from '../http/errors.js';

export const passwordErrors = defineErrors({
  OTP_INVALID_EXPIRED: 401,
  PASSWORD_INCORRECT: 401,
  TOO_MANY_FAILED_PASSWORD_CHECKS: 429,
  TOO_MANY_RESET_MAIL_ATTEMPTS: 429,
  NO_PASSWORD_INFO: 500,
});

/** 400 whose message names the broken rule (contract: `newPassword`). */
export function passwordRuleError(message: string): ApiError {
  return new ApiError(400, message);
}
