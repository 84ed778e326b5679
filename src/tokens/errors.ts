import { defineErrors } from '../http/errors.js';

export const tokenErrors = defineErrors({
  NO_TOKEN_PROVIDED: 401,
  INVALID_TOKEN: 401,
  SUDO_TOKEN_REQUIRED: 401,
  /** The refresh cookie came from a page whose origin is not allowed (CSRF defence). */
  ORIGIN_NOT_ALLOWED: 403,
});

export const loginErrors = defineErrors({
  PASSWORD_INCORRECT: 401,
  '2FA_REQUIRED': 401,
  TOO_MANY_FAILED_PASSWORD_CHECKS: 429,
  NO_PASSWORD_INFO: 500,
});
