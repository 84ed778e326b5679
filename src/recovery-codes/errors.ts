import { defineErrors } from '../http/errors.js';

export const recoveryCodeErrors = defineErrors({
  RECOVERY_CODE_INVALID: 401,
  RECOVERY_CODES_UNINITIALIZED: 409,
  '2FA_IS_DISABLED': 409,
  TOO_MANY_RECOVERY_CODE_CHECKS: 429,
});
