import { defineErrors } from '../http/errors.js';

export const tokenErrors = defineErrors({
  NO_TOKEN_PROVIDED: 401,
  INVALID_TOKEN: 401,
  SUDO_TOKEN_REQUIRED: 401,
});

export const loginErrors = defineErrors({
  PASSWORD_INCORRECT: 401,
  '2FA_REQUIRED': 401,
  TOO_MANY_FAILED_PASSWORD_CHECKS: 429,
  NO_PASSWORD_INFO: 500,
});
