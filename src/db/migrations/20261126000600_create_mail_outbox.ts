import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Mail is written here in the same transaction as the code it carries; a worker delivers it.
  await knex.schema.createTable('mail_outbox', (t) => {
    t.bigIncrements('id');
    t.text('kind').notNullable();
    t.text('brand').notNullable();
    t.text('language').notNullable();
    t.text('to_address').notNullable();
    t.text('from_address').notNullable();
    t.text('subject').notNullable();
    // Rendered bodies; cleared once sent so codes do not linger.
    t.text('html');
    t.text('text');
    t.text('status').notNullable().defaultTo('queued'); // queued | sending (leased until next_attempt_at) | sent | failed
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('next_attempt_at', { useTz: true }).notNullable();
    t.text('last_error');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('sent_at', { useTz: true });
    t.index(['status', 'next_attempt_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('mail_outbox');
}
