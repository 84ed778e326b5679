import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Emailed 6-digit codes: at most one live code per user and purpose.
  await knex.schema.createTable('one_time_codes', (t) => {
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.text('purpose').notNullable(); // 'email_otp_setup' | 'email_otp_challenge' | 'email_transfer' | 'password_reset'
    t.binary('code_hash').notNullable(); // HMAC-SHA256 with the code key
    t.text('target_email'); // where the code was sent, when that matters (setup, transfer)
    t.integer('failed_attempts').notNullable().defaultTo(0);
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.primary(['user_id', 'purpose']);
  });

  // "One mail per purpose and recipient per 60 s", also for addresses that have no account.
  await knex.schema.createTable('mail_throttle', (t) => {
    t.text('key').primary(); // "<purpose>:<HMAC of the user id or address>"
    t.timestamp('last_sent_at', { useTz: true }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('mail_throttle');
  await knex.schema.dropTable('one_time_codes');
}
