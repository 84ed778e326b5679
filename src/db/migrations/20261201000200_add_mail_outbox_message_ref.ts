import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Message-ID and X-Outbox-Id were built from the row's sequence number, which tells a
  // receiver how much mail everyone else got. A random id per row, kept for every retry.
  await knex.schema.alterTable('mail_outbox', (t) => {
    t.uuid('message_ref').notNullable().defaultTo(knex.raw('gen_random_uuid()'));
    t.unique(['message_ref']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('mail_outbox', (t) => {
    t.dropColumn('message_ref');
  });
}
