/**
 * The mail pipeline's public surface (implementation in this folder). Every endpoint that sends
 * mail does, in this order:
 *   1. assertMailDomainAllowed(deps, address)          → 403 FORBIDDEN_MAIL_PROVIDER
 *   2. const mail = prepareMail(deps, { kind, to, origin, language, variables, links })
 *                                                       → 500 UNABLE_TO_FIND_MAIL_TEMPLATE, before anything is stored
 *   3. in the same transaction as the code it carries:   enqueueMail(trx, deps, mail)
 * A worker delivers from the outbox later.
 */
export type { MailKind } from './kinds.js';
export type { MailRequest, PreparedMail } from './render.js';
export type { MailDeps } from './setup.js';
export { prepareMail } from './render.js';
export { mailChoice, type MailChoice } from './choice.js';
export { enqueueMail } from './enqueue.js';
export { assertMailDomainAllowed } from './blocklist.js';
export { mailErrors, MailConfigurationError } from './errors.js';
export { createMailDeps } from './setup.js';
export { findOutboxMails } from './outbox.js';
