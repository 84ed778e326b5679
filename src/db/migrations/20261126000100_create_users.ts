import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    // Stored lower-cased; the unique index makes "already in use" a database fact.
    t.text('email').notNullable().unique();
    // NULL for accounts created without a password (login answers 500 NO_PASSWORD_INFO).
    t.text('password_hash');
    // Tokens issued before this instant are rejected.
    t.timestamp('password_changed_at', { useTz: true }).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('users');
}
