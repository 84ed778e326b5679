import { defineErrors } from '../http/errors.js';

export const webauthnErrors = defineErrors({
  WEBAUTHN_INVALID: 401,
  WEBAUTHN_CREDENTIAL_NOT_FOUND: 404,
  WEBAUTHN_UNINITIALIZED: 409,
  TOO_MANY_WEBAUTHN_CHECKS: 429,
});
