import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('totp_factors', (t) => {
    t.uuid('user_id').primary().references('users.id').onDelete('CASCADE');
    // Active secret (AES-256-GCM, "<keyId>.<base64url iv|ciphertext|tag>"), NULL until first enabled.
    t.text('secret_enc');
    t.timestamp('completed_at', { useTz: true });
    // The last RFC 6238 time step accepted: never accepted again (replay).
    t.bigInteger('last_used_step');
    // A secret from setup waiting for its first code; replaces secret_enc only when enabled.
    t.text('pending_secret_enc');
    t.timestamp('pending_created_at', { useTz: true });
  });

  await knex.schema.createTable('email_otp_factors', (t) => {
    t.uuid('user_id').primary().references('users.id').onDelete('CASCADE');
    // The address codes go to once enabled; NULL while only a setup is pending.
    t.text('email');
    t.timestamp('completed_at', { useTz: true });
    // The address from setup, waiting for its code; replaces email only when enabled.
    t.text('pending_email');
    t.timestamp('pending_created_at', { useTz: true });
  });

  await knex.schema.createTable('recovery_codes', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE').index();
    // Keyed, salted hash of the code; the code itself is shown once and never stored.
    t.binary('code_hash').notNullable();
    t.binary('salt').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('used_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('recovery_codes');
  await knex.schema.dropTable('email_otp_factors');
  await knex.schema.dropTable('totp_factors');
}
