import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Where each account has signed in from (src/sessions/device.ts): a user-agent family and a
  // network prefix, never the full address or user agent (those stay with the session). A sign-in
  // from a pair not seen for 90 days is mailed to the owner. `sightings` restarts at 1 when a pair
  // comes back after that long, so the upsert itself tells a new device from a known one.
  await knex.raw(`
    create table known_devices (
      user_id uuid not null references users(id) on delete cascade,
      family text not null,
      network text not null,
      last_seen_at timestamptz not null,
      sightings integer not null,
      primary key (user_id, family, network)
    )`);
  await knex.raw('create index known_devices_last_seen on known_devices (last_seen_at)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('known_devices');
}
