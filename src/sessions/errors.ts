import { defineErrors } from '../http/errors.js';

export const sessionErrors = defineErrors({
  SESSION_NOT_FOUND: 404,
});
