import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Failed logins for names without an account, keyed by an HMAC of the name: unknown names get
  // the same backoff (and 429s) as real accounts, so the answers do not tell them apart.
  await knex.schema.createTable('unknown_login_counters', (t) => {
    t.text('key').primary();
    t.integer('failures').notNullable().defaultTo(0);
    t.timestamp('last_failure_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('unknown_login_counters');
}
