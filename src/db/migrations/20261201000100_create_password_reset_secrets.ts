import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // The long secret each reset mail carries (src/password/reset-secrets.ts): one row per mail, so
  // a later mail (anyone may ask for one) never voids the owner's earlier one. Rows per account
  // are bounded by the 60 s mail limit and the 10-minute life; expired rows are swept.
  await knex.schema.createTable('password_reset_secrets', (t) => {
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.binary('secret_hash').notNullable(); // HMAC-SHA256 with the code key
    t.text('target_email').notNullable(); // the address it was mailed to
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.primary(['user_id', 'secret_hash']);
    t.index(['expires_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('password_reset_secrets');
}
