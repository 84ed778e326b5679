import type { Knex } from 'knex';

/**
 * The user keys of the two tables a reset mail stores into become DEFERRABLE (still checked
 * per statement unless a transaction defers them): a reset mail for an address without an
 * account runs the very same inserts, under a made-up user id, in a savepoint it rolls back
 * (src/one-time-codes/mail-code.ts). Deferred, that id fails no check before the rollback.
 */
const KEYS = [
  ['one_time_codes', 'one_time_codes_user_id_foreign'],
  ['password_reset_secrets', 'password_reset_secrets_user_id_foreign'],
] as const;

export async function up(knex: Knex): Promise<void> {
  for (const [table, key] of KEYS) await knex.raw('alter table ?? alter constraint ?? deferrable initially immediate', [table, key]);
}

export async function down(knex: Knex): Promise<void> {
  for (const [table, key] of KEYS) await knex.raw('alter table ?? alter constraint ?? not deferrable', [table, key]);
}
