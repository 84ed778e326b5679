import { defineErrors } from '../http/errors.js';

export const totpErrors = defineErrors({
  TOTP_INVALID: 401,
  TOTP_UNINITIALIZED: 409,
  TOTP_ALREADY_INACTIVE: 409,
  TOO_MANY_TOTP_CHECKS: 429,
  TOTP_CORRUPT: 500,
});
