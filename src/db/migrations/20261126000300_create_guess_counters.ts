import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // One row per account and factor: the backoff holds across every instance of the service.
  await knex.schema.createTable('guess_counters', (t) => {
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.text('factor').notNullable(); // 'password' | 'totp' | 'recovery_code'
    t.integer('failures').notNullable().defaultTo(0);
    t.timestamp('last_failure_at', { useTz: true });
    t.primary(['user_id', 'factor']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('guess_counters');
}
