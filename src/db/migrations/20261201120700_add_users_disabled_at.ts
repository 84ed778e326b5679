import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Set by `npm run user:disable`: the account cannot log in and none of its tokens work.
  await knex.schema.alterTable('users', (t) => {
    t.timestamp('disabled_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('disabled_at');
  });
}
