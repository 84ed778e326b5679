import type { Knex } from 'knex';
import * as createUsers from './20261126000100_create_users.js';
import * as createRefreshTokens from './20261126000200_create_refresh_tokens.js';
import * as createGuessCounters from './20261126000300_create_guess_counters.js';
import * as createTwoFactorMethods from './20261126000400_create_two_factor_methods.js';
import * as createOneTimeCodes from './20261126000500_create_one_time_codes.js';
import * as createMailOutbox from './20261126000600_create_mail_outbox.js';
import * as createEmailTransfers from './20261126000700_create_email_transfers.js';
import * as createUnknownLoginCounters from './20261126000800_create_unknown_login_counters.js';
import * as createPasswordResetSecrets from './20261201000100_create_password_reset_secrets.js';
import * as addMailOutboxMessageRef from './20261201000200_add_mail_outbox_message_ref.js';
import * as createAddressLimits from './20261201110500_create_address_limits.js';
import * as createWebauthn from './20261201120000_create_webauthn.js';
import * as createSessions from './20261201120500_create_sessions.js';
import * as createSecurityEvents from './20261201120600_create_security_events.js';
import * as addUsersDisabledAt from './20261201120700_add_users_disabled_at.js';
import * as deferCodeUserKeys from './20261201130000_defer_code_user_keys.js';
import * as createKnownDevices from './20261201140000_create_known_devices.js';

/** Migrations are imported statically: no file-system scan, so they run the same under tsx, vitest and a bundle. */
const migrations: Record<string, Knex.Migration> = {
  '20261126000100_create_users': createUsers,
  '20261126000200_create_refresh_tokens': createRefreshTokens,
  '20261126000300_create_guess_counters': createGuessCounters,
  '20261126000400_create_two_factor_methods': createTwoFactorMethods,
  '20261126000500_create_one_time_codes': createOneTimeCodes,
  '20261126000600_create_mail_outbox': createMailOutbox,
  '20261126000700_create_email_transfers': createEmailTransfers,
  '20261126000800_create_unknown_login_counters': createUnknownLoginCounters,
  '20261201000100_create_password_reset_secrets': createPasswordResetSecrets,
  '20261201000200_add_mail_outbox_message_ref': addMailOutboxMessageRef,
  '20261201110500_create_address_limits': createAddressLimits,
  '20261201120000_create_webauthn': createWebauthn,
  '20261201120500_create_sessions': createSessions,
  '20261201120600_create_security_events': createSecurityEvents,
  '20261201120700_add_users_disabled_at': addUsersDisabledAt,
  '20261201130000_defer_code_user_keys': deferCodeUserKeys,
  '20261201140000_create_known_devices': createKnownDevices,
};

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(migrations).sort(),
  getMigrationName: (name) => name,
  getMigration: async (name) => migrations[name]!,
};
