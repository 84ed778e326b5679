import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // A started email transfer's mail choice: PUT /user/email has no origin/language, so the notice
  // to the old address uses the ones the initiating call gave. The new address and its code live
  // in one_time_codes (purpose 'email_transfer').
  await knex.schema.createTable('email_transfers', (t) => {
    t.uuid('user_id').primary().references('users.id').onDelete('CASCADE');
    t.text('mail_origin');
    t.text('mail_language');
    t.timestamp('created_at', { useTz: true }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('email_transfers');
}
