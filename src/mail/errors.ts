import { defineErrors } from '../http/errors.js';

export const mailErrors = defineErrors({
  FORBIDDEN_MAIL_PROVIDER: 403,
  UNABLE_TO_FIND_MAIL_TEMPLATE: 500,
});

/** A templates folder that cannot be used (bad JSON, unknown file, template syntax): the service must not start. */
export class MailConfigurationError extends Error {
  override name = 'MailConfigurationError';
}
