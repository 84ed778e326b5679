/** What a mail is for; each kind has `<kind>.{subject,html,txt}.eta` per language. */
export type MailKind =
  | 'email_otp_setup'
  | 'email_otp_challenge'
  | 'email_transfer_code'
  | 'email_changed_notice'
  | 'password_reset_code'
  | 'password_reset_link'
  | 'password_changed_notice'
  /** What happened to the account (a security event), when and from where: `it.event` picks the text. */
  | 'security_notice';

/**
 * Kinds anyone may have sent to any address, and that are sent only when the address has an
 * account: counting their delivery would tell which addresses have one. Mail metrics leave them
 * out (their delivery problems still show in the log).
 */
export const UNCOUNTED_MAIL_KINDS: ReadonlySet<MailKind> = new Set<MailKind>(['password_reset_code', 'password_reset_link']);
