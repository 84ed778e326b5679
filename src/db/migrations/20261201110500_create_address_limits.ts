import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Per-address request budgets (src/address-limits): one row per (operation, client address),
  // written on every limited request. UNLOGGED: no WAL per write, so a flood costs little; after
  // a crash the table comes back empty, which only forgives the budgets of the moment.
  await knex.raw(`
    create unlogged table address_limits (
      operation text not null,
      address text not null,
      tat timestamptz not null,
      allowed boolean not null,
      primary key (operation, address)
    )`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('address_limits');
}
