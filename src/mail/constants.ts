import type { MailKind } from './kinds.js';

/** Every kind, in a fixed order: loading, the preview and the render-all test walk this list. */
export const MAIL_KINDS: readonly MailKind[] = [
  'email_otp_setup',
  'email_otp_challenge',
  'email_transfer_code',
  'email_changed_notice',
  'password_reset_code',
  'password_reset_link',
  'password_changed_notice',
  'security_notice',
];

/** The three files a kind needs: `<kind>.subject.eta`, `<kind>.html.eta`, `<kind>.txt.eta`. */
export const TEMPLATE_PARTS = ['subject', 'html', 'txt'] as const;
export type TemplatePart = (typeof TEMPLATE_PARTS)[number];

/** Contract, "Email codes": valid 10 minutes. Templates show it as `it.validMinutes`. */
export const CODE_VALID_MINUTES = 10;

/** Templates fail loudly rather than mail "undefined": each kind names what it cannot do without. */
export const REQUIRED_VARIABLES: Record<MailKind, { variables: string[]; links: string[] }> = {
  email_otp_setup: { variables: ['code'], links: [] },
  email_otp_challenge: { variables: ['code'], links: [] },
  email_transfer_code: { variables: ['code'], links: [] },
  email_changed_notice: { variables: [], links: [] },
  password_reset_code: { variables: ['code'], links: ['reset'] },
  password_reset_link: { variables: [], links: ['reset'] },
  password_changed_notice: { variables: [], links: [] },
  security_notice: { variables: ['event', 'at'], links: [] },
};

// Outbox delivery. Backoff after the n-th failed try: BASE · 2^(n-1), capped; 8 tries span about 1 h 10 min.
export const MAX_SEND_ATTEMPTS = 8;
export const RETRY_BASE_MS = 30_000;
export const RETRY_CAP_MS = 30 * 60_000;
/** Rows claimed per pass: small, so a slow SMTP server holds few rows and other workers take the rest. */
export const CLAIM_BATCH_SIZE = 10;
/**
 * How long a claimed row belongs to its worker. Longer than a batch can take to send (SMTP timeouts
 * below, pooled connections); if the worker dies the row is sent again after it (at-least-once).
 */
export const CLAIM_LEASE_MS = 5 * 60_000;
/** Passes per wake-up, so a backlog drains without waiting for the next interval. */
export const MAX_BATCHES_PER_WAKE = 50;
/** SMTP timeouts, well inside CLAIM_LEASE_MS (nodemailer's socket default is 10 min). */
export const SMTP_CONNECTION_TIMEOUT_MS = 10_000;
export const SMTP_GREETING_TIMEOUT_MS = 10_000;
export const SMTP_SOCKET_TIMEOUT_MS = 30_000;
export const SMTP_MAX_CONNECTIONS = 3;
/** last_error is for operators: short, never a body. */
export const LAST_ERROR_MAX_LENGTH = 500;
export const DEFAULT_WORKER_INTERVAL_MS = 5_000;
/** Finished rows (sent or failed, bodies already cleared) are kept this long for support questions, then deleted. */
export const FINISHED_MAIL_RETENTION_MS = 7 * 24 * 60 * 60_000;
/** How often a worker runs the sweeps (src/sweep: this one, expired slots, quiet counters, reset secrets); several workers running them is harmless. */
export const RETENTION_SWEEP_INTERVAL_MS = 60 * 60_000;
