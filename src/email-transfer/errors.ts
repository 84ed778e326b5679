import { defineErrors } from '../http/errors.js';

/** Email transfer's codes with their statuses (contract rows 16–17). */
export const emailTransferErrors = defineErrors({
  OTP_INVALID_EXPIRED: 401,
  NEW_EMAIL_ALREADY_IN_USE: 409,
  TOO_MANY_TRANSFER_ATTEMPTS: 429,
});
