import { defineErrors } from '../http/errors.js';

export const addressLimitError = defineErrors({ TOO_MANY_REQUESTS: 429 });
