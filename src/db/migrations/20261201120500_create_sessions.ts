import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // One login's refresh-token chain (src/sessions). `expires_at` is the newest token's expiry:
  // sliding 14 days from the last rotation, never past created_at + SESSION_MAX_AGE.
  await knex.raw(`
    create table sessions (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references users(id) on delete cascade,
      method text not null,
      created_at timestamptz not null,
      last_used_at timestamptz not null,
      expires_at timestamptz not null,
      user_agent text,
      address text,
      ended_at timestamptz,
      end_reason text
    )`);
  await knex.raw('create index sessions_user_live on sessions (user_id, created_at desc) where ended_at is null');
  await knex.schema.alterTable('refresh_tokens', (t) => {
    t.uuid('session_id').references('sessions.id').onDelete('CASCADE').index();
    // Set when the token was rotated away (not by logout or a password change): presenting it
    // again is a reuse (src/sessions/reuse.ts).
    t.timestamp('rotated_at', { useTz: true });
  });
  // Tokens from before sessions existed each become a password session of their own (same id).
  await knex.raw(`
    insert into sessions (id, user_id, method, created_at, last_used_at, expires_at, ended_at)
    select id, user_id, 'password', created_at, created_at, expires_at, revoked_at from refresh_tokens`);
  await knex.raw('update refresh_tokens set session_id = id');
  await knex.raw('alter table refresh_tokens alter column session_id set not null');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('refresh_tokens', (t) => {
    t.dropColumn('rotated_at');
    t.dropColumn('session_id');
  });
  await knex.schema.dropTable('sessions');
}
