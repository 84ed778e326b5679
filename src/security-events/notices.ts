import type { Deps } from '../deps.js';
import type { Tx } from '../db/knex.js';
import { clientOf } from '../http/request-context.js';
import { enqueueMail, prepareMail } from '../mail/index.js';
import { findUserById } from '../users/queries.js';
import type { SecurityEventType } from './constants.js';
import { recordSecurityEvent } from './record.js';

/** The events the owner is mailed about at once (templates `security_notice`, `it.event`). */
export type NoticedEvent = Extract<SecurityEventType, 'method_enabled' | 'method_removed' | 'recovery_codes_reset' | 'recovery_code_used' | 'refresh_token_reused' | 'account_disabled' | 'two_factor_reset'>;

/** What a notice can tell: an event, or a sign-in from a new device (a `login_succeeded` event's `newDevice`). */
export type Notice = NoticedEvent | 'new_device_login';

/** Every notice, each a text of the `security_notice` templates (a test renders each in every brand and language). */
export const NOTICES = [
  'method_enabled',
  'method_removed',
  'recovery_codes_reset',
  'recovery_code_used',
  'refresh_token_reused',
  'new_device_login',
  'account_disabled',
  'two_factor_reset',
] as const satisfies readonly Notice[];

type NoticeDeps = Pick<Deps, 'clock' | 'client' | 'mail' | 'log'>;

/** Longest user agent shown in a notice: enough to recognise a browser or an app. */
const MAX_DEVICE_LENGTH = 200;

/**
 * Records the event and queues its notice to the account address, both in the change's
 * transaction (the outbox: the request never waits for SMTP, and a rolled-back change mails
 * nothing; the worker sends each outbox row once). The notice goes out in the default mail
 * configuration and its default language: these operations carry no origin or language, and
 * the account has none stored. A configuration without the template skips the notice (logged)
 * rather than fail the change it tells about.
 */
export async function recordAndNotify(
  trx: Tx,
  deps: NoticeDeps,
  event: { userId: string; type: NoticedEvent; detail?: Record<string, string | number> },
): Promise<void> {
  await recordSecurityEvent(trx, deps, event);
  await queueSecurityNotice(trx, deps, { userId: event.userId, notice: event.type, detail: event.detail });
}

/** Queues the owner's notice in the caller's transaction (see recordAndNotify); records nothing. */
export async function queueSecurityNotice(
  trx: Tx,
  deps: NoticeDeps,
  notice: { userId: string; notice: Notice; detail?: Record<string, string | number> },
): Promise<void> {
  const user = await findUserById(trx, notice.userId);
  if (!user) return;
  const client = clientOf(deps);
  const variables: Record<string, string> = {
    event: notice.notice,
    at: new Date(deps.clock.now()).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC'),
    address: client.address ?? '',
    device: (client.userAgent ?? '').slice(0, MAX_DEVICE_LENGTH),
    ...Object.fromEntries(Object.entries(notice.detail ?? {}).map(([name, value]) => [name, String(value)])),
  };
  let mail;
  try {
    mail = prepareMail(deps, { kind: 'security_notice', to: user.email, variables });
  } catch (err) {
    deps.log.warn({ event: notice.notice, error: (err as Error).message }, 'security notice not queued: no usable template');
    return;
  }
  await enqueueMail(trx, deps, mail);
}
