import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Append-only, per-user log of what happened to an account (src/security-events), written in the
  // transaction of the change it records. `detail` holds non-secret context only.
  await knex.raw(`
    create table security_events (
      id bigint generated always as identity primary key,
      user_id uuid not null references users(id) on delete cascade,
      type text not null,
      at timestamptz not null,
      address text,
      user_agent text,
      detail jsonb not null default '{}'
    )`);
  await knex.raw('create index security_events_user_page on security_events (user_id, id desc)');
  await knex.raw('create index security_events_at on security_events (at)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('security_events');
}
