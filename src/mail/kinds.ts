/** What a mail is for; each kind has `<kind>.{subject,html,txt}.eta` per language. */
export type MailKind =
  | 'email_otp_setup'
  | 'email_otp_challenge'
  | 'email_transfer_code'
  | 'email_changed_notice'
  | 'password_reset_code'
  | 'password_reset_link'
  | 'password_changed_notice';
